#pragma once
// Progress on stderr for CLI jobs (a single updating line when stderr is a terminal), and
// Ctrl+C turned into a stop request so a job ends cleanly instead of being killed.
#include <set>
#include <stop_token>
#include <string>

#include "corral/core/job.h"

namespace corral::cli {

class ConsoleProgress {
public:
    explicit ConsoleProgress(bool visible);
    ~ConsoleProgress();
    JobContext job();
    void finish();  // ends the progress line

private:
    bool visible_;
    bool interactive_;
    double last_fraction_ = -1.0;
    std::string last_message_;
    std::set<std::string> printed_;  // stages already logged by this job (non-terminal stderr)
};

}  // namespace corral::cli
