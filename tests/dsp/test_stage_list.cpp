// The print path as a list of stages: each stage re-reads and applies its parameters only
// when one of its own changed, and every parameter of the chain belongs to one stage.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "lacquer/dsp/chain.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {
namespace {

// A gain stage that counts its set_params calls; Tag tells the instances apart.
template <int Tag>
class CountingGain {
 public:
  struct Params {
    double gain = 1.0;
    bool operator==(const Params&) const = default;
  };
  static inline int set_calls = 0;
  static inline int reads = 0;

  void prepare(double, std::uint32_t) {}
  void reset(const Params& p) noexcept { p_ = p; }
  void set_params(const Params& p) noexcept {
    ++set_calls;
    p_ = p;
  }
  void process(double* l, double* r, std::uint32_t n) noexcept {
    for (std::uint32_t i = 0; i < n; ++i) {
      l[i] *= p_.gain;
      r[i] *= p_.gain;
    }
  }
  std::uint32_t latency_frames() const noexcept { return Tag; }

 private:
  Params p_;
};
static_assert(PrintStage<CountingGain<1>>);

template <int Tag>
class CountingBinding {
 public:
  using Stage = CountingGain<Tag>;
  explicit CountingBinding(const Schema& s)
      : ids_(s, Tag == 1 ? "/one/" : "/two/"), gain_(ids_(kGain)) {}
  static constexpr ParamName kGain{"gain"};
  static void declare(SchemaBuilder& t) {
    t.under(Tag == 1 ? "/one/" : "/two/");
    t.real(kGain, "", 0.0, 4.0, 1.0, kAtOnce, "Gain");
  }
  typename Stage::Params read(const ParamStore& p) const noexcept {
    ++Stage::reads;
    return {.gain = p.get(gain_)};
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  ParamIdList ids_;
  ParamId gain_;
};

ParamSpec gain(std::string path) {
  ParamSpec p;
  p.path = std::move(path);
  p.max_value = 4.0;
  p.default_value = 1.0;
  return p;
}

Schema two_gains() { return Schema({gain("/one/gain"), gain("/two/gain")}); }

TEST(StageList, AChangeReReadsAndAppliesOnlyItsStage) {
  const Schema schema = two_gains();
  ParamStore store(schema);
  StageList<CountingBinding<1>, CountingBinding<2>> path(schema);
  path.prepare(48000.0, 64);
  path.reset(store);
  CountingGain<1>::set_calls = CountingGain<2>::set_calls = 0;
  CountingGain<1>::reads = CountingGain<2>::reads = 0;

  path.update(store);  // nothing changed
  EXPECT_EQ(CountingGain<1>::set_calls + CountingGain<2>::set_calls, 0);
  EXPECT_EQ(CountingGain<1>::reads + CountingGain<2>::reads, 0);

  store.set(schema.id("/two/gain"), 2.0);
  path.update(store);
  path.update(store);
  EXPECT_EQ(CountingGain<1>::set_calls, 0);
  EXPECT_EQ(CountingGain<1>::reads, 0);
  EXPECT_EQ(CountingGain<2>::set_calls, 1);
  EXPECT_EQ(CountingGain<2>::reads, 1);

  store.set(schema.id("/one/gain"), 3.0);
  path.update(store);
  EXPECT_EQ(CountingGain<1>::set_calls, 1);
  EXPECT_EQ(CountingGain<2>::set_calls, 1);

  // Both stages run, in order, with the new values; latencies add up.
  std::array<double, 2> l{1.0, -1.0}, r{0.5, 0.25};
  path.process(l.data(), r.data(), 2);
  EXPECT_EQ(l[0], 6.0);
  EXPECT_EQ(r[1], 1.5);
  EXPECT_EQ(path.latency_frames(), 3u);

  // Back to defaults marks every stage changed.
  store.reset_to_defaults();
  path.update(store);
  EXPECT_EQ(CountingGain<1>::set_calls, 2);
  EXPECT_EQ(CountingGain<2>::set_calls, 2);
}

TEST(StageList, AWrongPathIsRefusedWhenTheBindingIsBuilt) {
  const Schema schema({gain("/one/gain")});
  EXPECT_THROW(CountingBinding<2>{schema}, std::out_of_range);
}

// The chain's real bindings: every chain and monitor parameter is read by exactly one of
// them, and a change marks only that one.
template <typename... B>
struct Bindings {
  static constexpr std::size_t kCount = sizeof...(B);
  explicit Bindings(const Schema& s) : all(B(s)...) {}
  std::tuple<B...> all;
  std::size_t ids() const {
    return std::apply([](const auto&... b) { return (std::size_t{0} + ... + b.ids().size()); },
                      all);
  }
  // How many of the bindings' stamps differ from `before`, and the new stamps.
  template <std::size_t N>
  int changed(const ParamStore& store, std::array<std::uint64_t, N>& before) const {
    int changed = 0;
    std::size_t k = 0;
    std::apply(
        [&](const auto&... b) {
          ((changed += b.ids().stamp(store) != before[k] ? 1 : 0,
            before[k] = b.ids().stamp(store), ++k),
           ...);
        },
        all);
    return changed;
  }
};
template <typename... B>
using WithMonitor = Bindings<B..., MonitorBinding>;
using ChainBindings = PrintPath::Apply<WithMonitor>;

TEST(StageList, EveryChainParameterHasOneStage) {
  const Schema& schema = Schema::instance();
  const ChainBindings bindings(schema);
  std::size_t under = 0;
  for (const ParamSpec& p : schema.params()) {
    const std::string_view path = p.path;
    if (path.starts_with("/chain/") || path.starts_with("/monitor/")) ++under;
  }
  EXPECT_EQ(bindings.ids(), under);
}

TEST(StageList, EachParameterChangeMarksOneStage) {
  const Schema& schema = Schema::instance();
  ParamStore store(schema);
  const ChainBindings bindings(schema);
  std::array<std::uint64_t, ChainBindings::kCount> stamps{};
  bindings.changed(store, stamps);
  for (ParamId id = 0; id < schema.size(); ++id) {
    const std::string_view path = schema.spec(id).path;
    if (!path.starts_with("/chain/") && !path.starts_with("/monitor/")) continue;
    store.set(id, schema.spec(id).max_value);
    EXPECT_EQ(bindings.changed(store, stamps), 1) << path;
  }
}

}  // namespace
}  // namespace lacquer::dsp
