// Which initiator issued a transaction: a small TLM extension carrying a process-wide initiator number.
//
// Numbers come from one registry of names (`InitiatorId::allocate("cpu")`; the same name always gets the same
// number), so targets such as the DRAM keep per-initiator statistics by name ("dram.cpu.read_bytes").
//
// How an initiator gets tagged, either:
//  - it binds to its own port of the Bus (`bus.initiator_socket("cpu")`): the bus attaches the port's
//    InitiatorId to every transaction that carries none, and removes it again before returning; or
//  - it tags its payloads itself (a DMA channel that wants "dma0.mm2s" rather than its bus port's name):
//        InitiatorId tag{InitiatorId::allocate("dma0.mm2s")};   // a member of the initiator
//        ScopedInitiatorId scope(trans, tag);                    // around each b_transport / transport_dbg
//    The bus keeps an extension that is already present.
// A payload deletes the extensions still attached when it is destroyed, so an extension owned by a module
// must be detached before that: ScopedInitiatorId does it.
#pragma once

#include <memory>
#include <string>

#include <tlm>

namespace dnnvp {

class InitiatorId : public tlm::tlm_extension<InitiatorId> {
 public:
  static constexpr int kUnknown = -1;

  explicit InitiatorId(int id = kUnknown) : id_(id) {}

  // The number of `name` (registered on first use). Names are stats names: [A-Za-z0-9_-] segments joined by
  // dots.
  static int allocate(const std::string& name);
  // The name of a number; "unknown" for kUnknown or a number never allocated.
  static const std::string& name_of(int id);
  // How many numbers have been allocated (numbers are 0 .. count()-1).
  static int count();
  // The number carried by a payload; kUnknown if it carries none.
  static int of(const tlm::tlm_generic_payload& trans);

  int id() const { return id_; }
  const std::string& name() const { return name_of(id_); }

  tlm::tlm_extension_base* clone() const override { return new InitiatorId(id_); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    id_ = static_cast<const InitiatorId&>(other).id_;
  }

 private:
  int id_;
};

// Attaches a copy of `tag` to `trans` for the lifetime of the scope if the payload carries no InitiatorId
// yet, and detaches and deletes it at the end. A copy on the heap, not `tag` itself: if the simulation
// ends while the initiator's thread is blocked inside the transport (sc_stop during a register wait), the
// scope never ends and the payload's destructor deletes the extension it still holds.
class ScopedInitiatorId {
 public:
  ScopedInitiatorId(tlm::tlm_generic_payload& trans, const InitiatorId& tag) : trans_(trans) {
    if (trans_.get_extension<InitiatorId>() == nullptr) {
      attached_ = std::make_unique<InitiatorId>(tag.id());
      trans_.set_extension(attached_.get());
    }
  }
  ~ScopedInitiatorId() {
    if (attached_) trans_.clear_extension(attached_.get());
  }
  ScopedInitiatorId(const ScopedInitiatorId&) = delete;
  ScopedInitiatorId& operator=(const ScopedInitiatorId&) = delete;

 private:
  tlm::tlm_generic_payload& trans_;
  std::unique_ptr<InitiatorId> attached_;
};

}  // namespace dnnvp
