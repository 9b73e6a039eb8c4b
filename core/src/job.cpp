#include "corral/core/job.h"

#include <algorithm>
#include <string>

namespace corral {

JobContext JobContext::stage(double begin, double end) const {
    ProgressFunction parent = progress_;
    ProgressFunction scaled;
    if (parent) {
        scaled = [parent, begin, end](double fraction, std::string_view message) {
            parent(begin + (end - begin) * std::clamp(fraction, 0.0, 1.0), message);
        };
    }
    return JobContext(stop_, std::move(scaled));
}

}  // namespace corral
