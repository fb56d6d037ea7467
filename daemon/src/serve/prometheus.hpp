#pragma once
// One metric in Prometheus' text format, for the parts that add lines to /metrics.

#include <sstream>
#include <string>

namespace lacquer::daemon {

/// `# HELP` and `# TYPE` lines and the sample, for `lacquer_<name>`; type is "gauge" or
/// "counter".
inline std::string prometheus_metric(const char* name, const char* type, const char* help,
                                     double value) {
  std::ostringstream out;
  out << "# HELP lacquer_" << name << ' ' << help << "\n# TYPE lacquer_" << name << ' ' << type
      << "\nlacquer_" << name << ' ' << value << '\n';
  return out.str();
}

}  // namespace lacquer::daemon
