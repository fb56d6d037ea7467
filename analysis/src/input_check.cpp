#include "lacquer/analysis/input_check.hpp"

#include <cmath>
#include <cstdio>

namespace lacquer::analysis {

namespace {
constexpr float kFullScale = 0.99996f;  // 16-bit full scale (32767 / 32768) and above
}

InputCheck::InputCheck(double sample_rate, int channels, int clip_run)
    : rate_(sample_rate),
      channels_(channels),
      clip_run_(static_cast<std::size_t>(clip_run)),
      peak_(sample_rate, channels),
      run_(static_cast<std::size_t>(channels), 0) {}

void InputCheck::push(const float* interleaved, std::size_t n) {
  peak_.push(interleaved, n);
  for (std::size_t i = 0; i < n; ++i, ++frame_) {
    for (int c = 0; c < channels_; ++c) {
      std::size_t& run = run_[static_cast<std::size_t>(c)];
      if (std::fabs(interleaved[i * static_cast<std::size_t>(channels_) + static_cast<std::size_t>(c)]) >= kFullScale) {
        if (++run == clip_run_) {
          ++runs_;
          clipped_samples_ += run;
          if (first_run_s_ < 0.0) first_run_s_ = static_cast<double>(frame_ + 1 - run) / rate_;
        } else if (run > clip_run_) {
          ++clipped_samples_;
        }
      } else {
        run = 0;
      }
    }
  }
}

std::vector<std::string> InputCheck::finish() {
  peak_.finish();
  std::vector<std::string> out;
  char buf[200];
  if (runs_ > 0) {
    std::snprintf(buf, sizeof buf,
                  "the input is clipped: %llu runs of %zu or more samples at full scale "
                  "(%llu samples), the first at %.3f s",
                  static_cast<unsigned long long>(runs_), clip_run_,
                  static_cast<unsigned long long>(clipped_samples_), first_run_s_);
    out.emplace_back(buf);
  }
  const double tp = 20.0 * std::log10(static_cast<double>(peak_.max_peak()) + 1e-30);
  if (tp > 0.0) {
    std::snprintf(buf, sizeof buf, "the input's true peak is %+.2f dBTP (over full scale)", tp);
    out.emplace_back(buf);
  }
  return out;
}

}  // namespace lacquer::analysis
