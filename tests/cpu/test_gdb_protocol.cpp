// The gdb remote serial protocol (models/cpu/gdb_protocol.h) against a fake target: framing, checksums,
// acks, escapes, run-length encoding, and every command the stub answers.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "gdb_protocol.h"

using dnnvp::gdb::Action;
using dnnvp::gdb::PointType;
using dnnvp::gdb::Session;
using dnnvp::gdb::Stop;

namespace {

// 33 registers, 256 bytes of memory at 0x1000 (anything else is inaccessible), a log of points.
struct FakeTarget : dnnvp::gdb::Target {
  std::uint32_t regs[33] = {};
  std::vector<std::uint8_t> mem = std::vector<std::uint8_t>(256);
  std::vector<std::string> points;
  bool refuse_points = false;

  std::uint32_t read_register(unsigned i) override { return regs[i]; }
  void write_register(unsigned i, std::uint32_t v) override { regs[i] = v; }
  bool read_memory(std::uint64_t a, std::size_t n, std::uint8_t* out) override {
    if (a < 0x1000 || a + n > 0x1100) return false;
    for (std::size_t i = 0; i < n; ++i) out[i] = mem[a - 0x1000 + i];
    return true;
  }
  bool write_memory(std::uint64_t a, const std::uint8_t* d, std::size_t n) override {
    if (a < 0x1000 || a + n > 0x1100) return false;
    for (std::size_t i = 0; i < n; ++i) mem[a - 0x1000 + i] = d[i];
    return true;
  }
  bool insert_point(PointType t, std::uint64_t a, std::size_t n) override {
    points.push_back("+" + std::to_string(static_cast<int>(t)) + "," + std::to_string(a) + "," +
                     std::to_string(n));
    return !refuse_points;
  }
  bool remove_point(PointType t, std::uint64_t a, std::size_t n) override {
    points.push_back("-" + std::to_string(static_cast<int>(t)) + "," + std::to_string(a) + "," +
                     std::to_string(n));
    return !refuse_points;
  }
};

struct Fixture {
  FakeTarget target;
  std::string last_monitor;
  Session session{target, [this](const std::string& c) {
                    last_monitor = c;
                    return c == "quiet" ? std::string() : "said " + c + "\n";
                  }};
  // Sends one packet (framed), returns the reply's data after checking the ack and the frame.
  std::string ask(const std::string& data) {
    const std::string out = session.receive(Session::frame(data));
    REQUIRE(!out.empty());
    REQUIRE(out[0] == '+');
    if (out.size() == 1) return "<none>";
    return unframe(out.substr(1));
  }
  static std::string unframe(const std::string& f) {
    REQUIRE(f.size() >= 4);
    REQUIRE(f[0] == '$');
    const std::size_t hash = f.rfind('#');
    REQUIRE(hash == f.size() - 3);
    const std::string body = f.substr(1, hash - 1);
    char sum[3];
    std::snprintf(sum, sizeof sum, "%02x", Session::checksum(body));
    REQUIRE(f.substr(hash + 1) == sum);
    return Session::unescape(body);
  }
};

}  // namespace

TEST_CASE("gdb protocol: a packet is framed with its checksum, and the checksum is the byte sum mod 256",
          "[gdb]") {
  CHECK(Session::frame("OK") == "$OK#9a");
  CHECK(Session::frame("") == "$#00");
  CHECK(Session::checksum("g") == 0x67);
}

TEST_CASE("gdb protocol: escapes apply to # $ } * and unescape inverts them", "[gdb]") {
  const std::string raw = std::string("a#b$c}d*e") + char(0) + "f";
  const std::string escaped = Session::escape(raw);
  CHECK(escaped == std::string("a}\x03"
                               "b}\x04"
                               "c}]d}\x0a"
                               "e") +
                       char(0) + "f");
  CHECK(Session::unescape(escaped) == raw);
}

TEST_CASE("gdb protocol: long runs are run-length encoded, never with the counts that give # or $", "[gdb]") {
  for (std::size_t n : {1, 3, 4, 5, 8, 9, 10, 40, 97, 98, 99, 200, 500}) {
    const std::string data = "x" + std::string(n, '0') + "y";
    const std::string f = Session::frame(data);
    const std::string body = f.substr(1, f.size() - 4);
    INFO("run of " << n);
    CHECK(body.find('#') == std::string::npos);
    CHECK(body.find('$') == std::string::npos);
    CHECK(Session::unescape(body) == data);
    if (n >= 8) CHECK(body.size() < data.size());
  }
  CHECK(Session::frame("0000000000").substr(0, 5) == "$0*&#");  // '0' and 9 repeats ('&' = 9 + 29)
  // Runs of characters that need escaping are escaped, not encoded.
  CHECK(Session::unescape(Session::frame("}}}}}}}}").substr(1, 16)) == "}}}}}}}}");
}

TEST_CASE("gdb protocol: a packet with a bad checksum is refused with '-', and resent packets are answered",
          "[gdb]") {
  Fixture f;
  CHECK(f.session.receive("$g#00") == "-");
  const std::string out = f.session.receive("$?#3f");
  CHECK(out.substr(0, 1) == "+");
  CHECK(Fixture::unframe(out.substr(1)) == "T05thread:1;");
  // gdb says our reply was garbled: the same reply again.
  CHECK(f.session.receive("-") == out.substr(1));
}

TEST_CASE("gdb protocol: packets split across reads, acks and stray bytes are handled", "[gdb]") {
  Fixture f;
  CHECK(f.session.receive("+$q").empty());
  CHECK(f.session.receive("C#").empty());
  const std::string out = f.session.receive("b4junk");
  CHECK(out.substr(0, 1) == "+");
  CHECK(Fixture::unframe(out.substr(1)) == "QC1");
}

TEST_CASE("gdb protocol: qSupported announces the packet size, target description, swbreak and hwbreak",
          "[gdb]") {
  Fixture f;
  const std::string r = f.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
  CHECK(r == "PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+");
}

TEST_CASE("gdb protocol: thread and attach queries answer for one thread of an attached target", "[gdb]") {
  Fixture f;
  CHECK(f.ask("qAttached") == "1");
  CHECK(f.ask("qC") == "QC1");
  CHECK(f.ask("qfThreadInfo") == "m1");
  CHECK(f.ask("qsThreadInfo") == "l");
  CHECK(f.ask("Hg0") == "OK");
  CHECK(f.ask("Hc-1") == "OK");
  CHECK(f.ask("T1") == "OK");
  CHECK(f.ask("vMustReplyEmpty") == "");
  CHECK(f.ask("qTStatus") == "");
}

TEST_CASE("gdb protocol: the target description is read in pieces and names x0..x31 and pc", "[gdb]") {
  Fixture f;
  const std::string xml = Session::target_xml();
  CHECK(xml.find("<architecture>riscv:rv32</architecture>") != std::string::npos);
  CHECK(xml.find("org.gnu.gdb.riscv.cpu") != std::string::npos);
  CHECK(xml.find("name=\"t6\" bitsize=\"32\" type=\"int\" regnum=\"31\"") != std::string::npos);
  CHECK(xml.find("name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"32\"") != std::string::npos);
  std::string got;
  for (std::size_t offset = 0;; offset += 64) {
    char req[64];
    std::snprintf(req, sizeof req, "qXfer:features:read:target.xml:%zx,40", offset);
    const std::string r = f.ask(req);
    REQUIRE(!r.empty());
    got += r.substr(1);
    if (r[0] == 'l') break;
    REQUIRE(r[0] == 'm');
    REQUIRE(r.size() == 1 + 0x40);
  }
  CHECK(got == xml);
  CHECK(f.ask("qXfer:features:read:other.xml:0,10") == "E00");
  CHECK(f.ask("qXfer:features:read:target.xml:zz") == "E01");
}

TEST_CASE("gdb protocol: g and G move all 33 registers as little-endian hex, p and P one", "[gdb]") {
  Fixture f;
  for (unsigned i = 0; i < 33; ++i) f.target.regs[i] = 0x01020300u + i;
  const std::string g = f.ask("g");
  REQUIRE(g.size() == 33 * 8);
  CHECK(g.substr(0, 8) == "00030201");
  CHECK(g.substr(32 * 8) == "20030201");
  CHECK(f.ask("p20") == "20030201");
  CHECK(f.ask("p21") == "E01");
  CHECK(f.ask("Pa=78563412") == "OK");
  CHECK(f.target.regs[10] == 0x12345678u);
  CHECK(f.ask("Pa=785634") == "E01");
  std::string all;
  for (unsigned i = 0; i < 33; ++i) all += "efbeadde";
  CHECK(f.ask("G" + all) == "OK");
  for (unsigned i = 0; i < 33; ++i) CHECK(f.target.regs[i] == 0xDEADBEEFu);
  CHECK(f.ask("G" + all.substr(8)) == "E01");
  CHECK(f.ask("G" + all.substr(8) + "zzzzzzzz") == "E01");
}

TEST_CASE("gdb protocol: m, M and X read and write memory, inaccessible memory is an error", "[gdb]") {
  Fixture f;
  f.target.mem[0] = 0xAB;
  f.target.mem[1] = 0x00;
  f.target.mem[2] = 0x7D;
  CHECK(f.ask("m1000,3") == "ab007d");
  CHECK(f.ask("m2000,4") == "E02");
  CHECK(f.ask("m1000") == "E01");
  CHECK(f.ask("mxyz,4") == "E01");
  CHECK(f.ask("M1010,2:beef") == "OK");
  CHECK(f.target.mem[0x10] == 0xBE);
  CHECK(f.target.mem[0x11] == 0xEF);
  CHECK(f.ask("M1010,2:be") == "E01");
  CHECK(f.ask("M3000,1:00") == "E02");
  // X: binary, with the escaped bytes restored.
  CHECK(f.ask(std::string("X1020,4:") + "#$}*") == "OK");
  CHECK(f.target.mem[0x20] == '#');
  CHECK(f.target.mem[0x23] == '*');
  CHECK(f.ask("X1020,0:") == "OK");  // gdb's probe for X support
}

TEST_CASE("gdb protocol: Z and z pass breakpoints and watchpoints of every type to the target", "[gdb]") {
  Fixture f;
  CHECK(f.ask("Z0,80000010,2") == "OK");
  CHECK(f.ask("Z1,80000014,4") == "OK");
  CHECK(f.ask("Z2,43c00010,4") == "OK");
  CHECK(f.ask("Z3,80001000,8") == "OK");
  CHECK(f.ask("Z4,80001000,1") == "OK");
  CHECK(f.ask("z2,43c00010,4") == "OK");
  CHECK(f.target.points == std::vector<std::string>{"+0,2147483664,2", "+1,2147483668,4", "+2,1136656400,4",
                                                    "+3,2147487744,8", "+4,2147487744,1", "-2,1136656400,4"});
  CHECK(f.ask("Z5,0,4") == "");  // not a type the protocol has: unsupported
  CHECK(f.ask("Z2,zz,4") == "E01");
  f.target.refuse_points = true;
  CHECK(f.ask("Z2,0,4") == "E03");
}

TEST_CASE("gdb protocol: c, s and vCont resume the target, the stop reply follows when it stops", "[gdb]") {
  Fixture f;
  CHECK(f.ask("vCont?") == "vCont;c;C;s;S");
  CHECK(f.ask("c") == "<none>");
  CHECK(f.session.running());
  CHECK(f.session.take_action() == Action::kContinue);
  CHECK(!f.session.take_action());
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::breakpoint(false))) == "T05thread:1;");
  CHECK(!f.session.running());
  CHECK(f.ask("s80000100") == "<none>");
  CHECK(f.target.regs[32] == 0x80000100u);
  CHECK(f.session.take_action() == Action::kStep);
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::trap())) == "T05thread:1;");
  CHECK(f.ask("vCont;s:1;c") == "<none>");
  CHECK(f.session.take_action() == Action::kStep);
  f.session.stop_reply(Stop::trap());
  CHECK(f.ask("vCont;c") == "<none>");
  CHECK(f.session.take_action() == Action::kContinue);
  f.session.stop_reply(Stop::trap());
  CHECK(f.ask("C05") == "<none>");
  CHECK(f.session.take_action() == Action::kContinue);
  f.session.stop_reply(Stop::trap());
  CHECK(f.ask("vCont;t") == "E01");
  CHECK(f.ask("cxyz") == "E01");
}

TEST_CASE("gdb protocol: stop replies say swbreak, hwbreak, watch, rwatch, awatch and exits", "[gdb]") {
  Fixture f;
  f.ask("qSupported:swbreak+;hwbreak+");
  CHECK(f.ask("?") == "T05thread:1;");
  f.ask("c");
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::breakpoint(false))) == "T05swbreak:;thread:1;");
  CHECK(f.ask("?") == "T05swbreak:;thread:1;");
  f.ask("c");
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::breakpoint(true))) == "T05hwbreak:;thread:1;");
  f.ask("c");
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::watchpoint(PointType::kWrite, 0x43c00010))) ==
        "T05watch:43c00010;thread:1;");
  f.ask("c");
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::watchpoint(PointType::kRead, 0x80001000))) ==
        "T05rwatch:80001000;thread:1;");
  f.ask("c");
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::watchpoint(PointType::kAccess, 0x10))) ==
        "T05awatch:10;thread:1;");
  f.ask("c");
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::interrupt())) == "T02thread:1;");
  f.ask("c");
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::exited(3))) == "W03");
  f.ask("c");
  CHECK(Fixture::unframe(f.session.stop_reply(Stop::terminated(11))) == "X0b");
  // Without swbreak+ from gdb, a breakpoint is a plain SIGTRAP.
  Fixture g;
  g.ask("c");
  CHECK(Fixture::unframe(g.session.stop_reply(Stop::breakpoint(true))) == "T05thread:1;");
  // Stopped before gdb asked: nothing to send, `?` reports it.
  CHECK(g.session.stop_reply(Stop::interrupt()).empty());
  CHECK(g.ask("?") == "T02thread:1;");
}

TEST_CASE("gdb protocol: Ctrl-C while running asks for an interrupt, packets then wait for the stop",
          "[gdb]") {
  Fixture f;
  f.ask("c");
  CHECK(!f.session.take_interrupt());
  CHECK(f.session.receive("\x03").empty());
  CHECK(f.session.take_interrupt());
  CHECK(!f.session.take_interrupt());
  // A packet that arrives while the target runs is acked and answered after the stop reply.
  CHECK(f.session.receive(Session::frame("qC")) == "+");
  const std::string out = f.session.stop_reply(Stop::interrupt());
  CHECK(out == Session::frame("T02thread:1;") + Session::frame("QC1"));
}

TEST_CASE("gdb protocol: D detaches, k and vKill kill", "[gdb]") {
  Fixture f;
  CHECK(f.ask("D") == "OK");
  CHECK(f.session.detached());
  CHECK(f.session.take_action() == Action::kDetach);
  Fixture g;
  CHECK(g.ask("k") == "<none>");
  CHECK(g.session.take_action() == Action::kKill);
  Fixture h;
  CHECK(h.ask("vKill;1") == "OK");
  CHECK(h.session.take_action() == Action::kKill);
}

TEST_CASE("gdb protocol: qRcmd runs a monitor command and returns its text in hex", "[gdb]") {
  Fixture f;
  CHECK(f.ask("qRcmd," + Session::to_hex("engine")) == Session::to_hex("said engine\n"));
  CHECK(f.last_monitor == "engine");
  CHECK(f.ask("qRcmd," + Session::to_hex("quiet")) == "OK");
  CHECK(f.ask("qRcmd,zz") == "E01");
}

TEST_CASE("gdb protocol: QStartNoAckMode turns acks off", "[gdb]") {
  Fixture f;
  CHECK(f.ask("QStartNoAckMode") == "OK");
  CHECK(f.session.receive(Session::frame("qC")) == Session::frame("QC1"));
  CHECK(f.session.receive("$qC#00").empty());  // a bad checksum is dropped without a '-'
}

TEST_CASE("gdb protocol: malformed and unknown packets get an error or the empty reply, never a crash",
          "[gdb]") {
  Fixture f;
  for (const std::string p : {"",        "p",          "P",
                              "P1",      "m",          "m,",
                              "M",       "M1000,1",    "X",
                              "Z",       "Z0",         "Z0,",
                              "z9,1,1",  "G",          "qXfer:features:read:",
                              "qRcmd,1", "vCont;",     "!",
                              "\x7f",    "qSupported", "cffffffffffffffffff"}) {
    INFO("packet '" << p << "'");
    const std::string out = f.session.receive(Session::frame(p));
    REQUIRE(!out.empty());
    CHECK(out[0] == '+');
    if (f.session.running()) {  // a resume that parsed: stop it again
      f.session.take_action();
      f.session.stop_reply(Stop::trap());
    }
  }
  // A packet far longer than the packet size is dropped.
  CHECK(f.session.receive("$" + std::string(100000, 'a')).empty());
  CHECK(f.ask("qC") == "QC1");
}
