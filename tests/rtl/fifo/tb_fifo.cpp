// dnn_fifo: every word comes out once, in order, under random idle and back-pressure phases, and the
// ports behave cycle for cycle as a reference first-word-fall-through FIFO of FIFO_DEPTH words (a word
// is visible at the output the cycle after it was written; ready while fewer than FIFO_DEPTH are held),
// whatever storage the RTL reads through.
#include <deque>

#include "Vdnn_fifo.h"
#include "tb.h"

int main(int argc, char** argv) {
  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vdnn_fifo m(&ctx);
  tb::Random rnd(tb::seed());
  tb::AxisSource<CData> src(m.in_data_i, m.in_valid_i, m.in_ready_o, nullptr, 1, rnd, 0.0);
  tb::AxisSink<CData> sink(m.out_data_o, m.out_valid_o, m.out_ready_i, nullptr, 1, rnd, 0.0);

  m.rst_ni = 0;
  for (int i = 0; i < 4; ++i) {
    m.clk_i = !m.clk_i;
    m.eval();
  }
  m.rst_ni = 1;

  const int words = 4000;
  for (int i = 0; i < words; ++i) src.push({{static_cast<std::uint8_t>(i * 7 + 3)}, false, 0});
  // Phases: free flow, idle source, heavy back-pressure, both.
  const double phases[][2] = {{0.0, 0.0}, {0.7, 0.1}, {0.1, 0.8}, {0.5, 0.5}};
  std::uint64_t cycle = 0;
  std::deque<CData> model;  // the reference FIFO's words, head first
  while (sink.beats.size() < static_cast<size_t>(words)) {
    const auto& ph = phases[(cycle / 500) % 4];
    src.set_idle(ph[0]);
    sink.set_backpressure(ph[1]);
    m.clk_i = 0;
    m.eval();
    TB_CHECK(m.in_ready_o == (model.size() < size_t{FIFO_DEPTH}), "cycle %llu: in_ready %d with %zu words",
             static_cast<unsigned long long>(cycle), m.in_ready_o, model.size());
    TB_CHECK(m.out_valid_o == !model.empty(), "cycle %llu: out_valid %d with %zu words",
             static_cast<unsigned long long>(cycle), m.out_valid_o, model.size());
    TB_CHECK(m.count_o == model.size(), "cycle %llu: count %d, %zu words", static_cast<unsigned long long>(cycle),
             m.count_o, model.size());
    if (!model.empty())
      TB_CHECK(m.out_data_o == model.front(), "cycle %llu: head %d, expected %d",
               static_cast<unsigned long long>(cycle), m.out_data_o, model.front());
    const bool popped = m.out_valid_o && m.out_ready_i;
    if (m.in_valid_i && m.in_ready_o) model.push_back(m.in_data_i);
    if (popped) model.pop_front();
    const bool t = src.before_edge();
    sink.before_edge();
    m.clk_i = 1;
    m.eval();
    src.after_edge(t);
    sink.after_edge();
    TB_CHECK(++cycle < 100000, "stalled with %zu words out", sink.beats.size());
  }
  for (int i = 0; i < words; ++i)
    TB_CHECK(sink.beats[i].data[0] == static_cast<std::uint8_t>(i * 7 + 3), "word %d is %d", i, sink.beats[i].data[0]);
  std::printf("dnn_fifo depth %d: %d words in order in %llu cycles\n", FIFO_DEPTH, words,
              static_cast<unsigned long long>(cycle));
  return 0;
}
