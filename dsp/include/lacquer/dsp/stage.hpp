#pragma once
// What a stage of the print path is, how it reads its parameters, and the print path as a
// list of stages.
//
// A stage (PrintStage) processes two planar channels in place at a fixed latency, with an
// allocating prepare(), a reset() that jumps to its Params and a set_params() that glides to
// them. Its binding (StageBinding), in the stage's own *_binding.hpp, declares the stage's
// parameters once: their names, and the schema rows of those names (with the stage's own
// glide times as smoothing_ms). It resolves the ids once from the schema and turns the store
// into the stage's Params. The chain lists the bindings once (StageList); the schema's rows,
// prepare, latency, reset, update and process are walked over that list, and update()
// re-reads only the stages whose parameters changed.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "lacquer/dsp/param_schema.hpp"
#include "lacquer/dsp/param_store.hpp"

namespace lacquer::dsp {

/// A print-path stage: stereo in place, n <= the max_block given to prepare().
template <typename S>
concept PrintStage = std::default_initializable<S> && std::regular<typename S::Params> &&
    requires(S s, const S cs, const typename S::Params& p, double* x, std::uint32_t n,
             double sample_rate) {
      s.prepare(sample_rate, n);  // allocates; not real-time
      { s.reset(p) } noexcept;      // jumps to p, clears the state
      { s.set_params(p) } noexcept;  // audio thread: glides to p
      { s.process(x, x, n) } noexcept;
      { cs.latency_frames() } noexcept -> std::convertible_to<std::uint32_t>;
    };

/// The member functions every PrintStage declares, as the concept above describes them, in
/// one place: a stage's class names its Params, then this; its .cpp defines them.
#define LACQUER_PRINT_STAGE_MEMBERS                                  \
  void prepare(double sample_rate, std::uint32_t max_block);        \
  void reset(const Params& p) noexcept;                             \
  void set_params(const Params& p) noexcept;                        \
  void process(double* left, double* right, std::uint32_t n) noexcept

/// The ids a binding reads, resolved at construction from the names its stage declares under
/// one prefix (a name without a schema row throws there, naming its path), and the latest
/// change among them. Names are ParamName constants, never free strings.
class ParamIdList {
 public:
  ParamIdList(const Schema& schema, std::string_view prefix)
      : schema_(&schema), prefix_(prefix) {}

  /// The id of prefix + `name`, remembered.
  ParamId operator()(ParamName name) { return (*this)("", name); }
  /// The id of prefix + `under` + `name` (e.g. under "3/" for a band), remembered.
  ParamId operator()(std::string_view under, ParamName name) {
    const ParamId id = schema_->id(prefix_ + std::string(under) + std::string(name.text));
    ids_.push_back(id);
    return id;
  }

  /// Largest change stamp of the ids: changes when any of them was set.
  std::uint64_t stamp(const ParamStore& store) const noexcept {
    std::uint64_t latest = 0;
    for (ParamId id : ids_) latest = std::max(latest, store.stamp(id));
    return latest;
  }

  std::size_t size() const noexcept { return ids_.size(); }
  auto begin() const noexcept { return ids_.begin(); }
  auto end() const noexcept { return ids_.end(); }

 private:
  const Schema* schema_;
  std::string prefix_;
  std::vector<ParamId> ids_;
};

/// Declares one stage's schema rows (declare) and reads its Params from the store.
template <typename B>
concept StageBinding = std::constructible_from<B, const Schema&> &&
    requires(const B b, const ParamStore& store, SchemaBuilder& rows) {
      typename B::Stage;
      B::declare(rows);
      { b.read(store) } noexcept -> std::same_as<typename B::Stage::Params>;
      { b.ids() } noexcept -> std::same_as<const ParamIdList&>;
    };

/// A binding with the Params it last read and the change stamp they were read at.
template <StageBinding B>
struct BoundParams {
  explicit BoundParams(const Schema& schema) : binding(schema) {}

  /// Reads the Params unconditionally.
  void read(const ParamStore& store) noexcept {
    seen = binding.ids().stamp(store);  // before the values: a later change reads again
    params = binding.read(store);
  }
  /// Reads the Params when one of the binding's parameters changed; true when it did.
  bool refresh(const ParamStore& store) noexcept {
    if (binding.ids().stamp(store) == seen) return false;
    read(store);
    return true;
  }

  B binding;
  typename B::Stage::Params params{};
  std::uint64_t seen = 0;
};

/// The stages of `Bindings`, run in that order on the same two channels.
template <StageBinding... Bindings>
  requires(PrintStage<typename Bindings::Stage> && ...)
class StageList {
 public:
  /// T<Bindings...>: the same list for another template (tests walk the chain's bindings).
  template <template <typename...> class T>
  using Apply = T<Bindings...>;

  explicit StageList(const Schema& schema) : slots_(Slot<Bindings>(schema)...) {}

  /// Allocates every stage.
  void prepare(double sample_rate, std::uint32_t max_block) {
    each([&](auto& s) { s.stage.prepare(sample_rate, max_block); });
  }
  /// Sum of the stages' latencies.
  std::uint32_t latency_frames() const noexcept {
    return std::apply(
        [](const auto&... s) {
          return (std::uint32_t{0} + ... + static_cast<std::uint32_t>(s.stage.latency_frames()));
        },
        slots_);
  }
  /// Every stage's schema rows, in order.
  static void declare(SchemaBuilder& rows) { (Bindings::declare(rows), ...); }
  /// Whether every parameter of the stages has the same value in `a` as in `b`: the stages
  /// then process alike.
  static bool same_params(const Schema& schema, const ParamStore& a, const ParamStore& b) {
    const auto same = [&](const ParamIdList& ids) {
      return std::all_of(ids.begin(), ids.end(), [&](ParamId id) { return a.get(id) == b.get(id); });
    };
    return (same(Bindings(schema).ids()) && ...);
  }
  /// Reads every stage's parameters and jumps to them.
  void reset(const ParamStore& store) noexcept {
    each([&](auto& s) {
      s.read(store);
      s.stage.reset(s.params);
    });
  }
  /// Audio thread: re-reads and applies the parameters of the stages where one changed.
  void update(const ParamStore& store) noexcept {
    each([&](auto& s) {
      if (s.refresh(store)) s.stage.set_params(s.params);
    });
  }
  /// Audio thread: every stage in order, in place.
  void process(double* left, double* right, std::uint32_t n) noexcept {
    each([&](auto& s) { s.stage.process(left, right, n); });
  }

  /// The stage of type S (meters read gain reductions from it).
  template <typename S>
  S& stage() noexcept {
    return std::get<index_of<S>()>(slots_).stage;
  }
  template <typename S>
  const S& stage() const noexcept {
    return std::get<index_of<S>()>(slots_).stage;
  }

 private:
  template <typename B>
  struct Slot : BoundParams<B> {
    using BoundParams<B>::BoundParams;
    typename B::Stage stage;
  };

  template <typename S>
  static constexpr std::size_t index_of() {
    constexpr bool match[] = {std::is_same_v<S, typename Bindings::Stage>...};
    for (std::size_t i = 0; i < sizeof...(Bindings); ++i) {
      if (match[i]) return i;
    }
    return sizeof...(Bindings);
  }

  template <typename F>
  void each(F&& f) {
    std::apply([&](auto&... s) { (f(s), ...); }, slots_);
  }

  std::tuple<Slot<Bindings>...> slots_;
};

}  // namespace lacquer::dsp
