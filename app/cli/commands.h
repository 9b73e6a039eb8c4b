#pragma once
// The subcommands of corral-cli. Each returns the process exit code and prints errors itself.
#include <memory>
#include <string>

#include "arguments.h"
#include "corral/core/dataset.h"
#include "corral/core/job.h"

namespace corral::cli {

// Exit codes: 0 success, 1 the work failed, 2 the command line was wrong, 130 cancelled.
int report_failure(const Error& error);

// open_dataset with at most `limit` images (0: all); images it had to skip are listed on stderr.
Expected<std::unique_ptr<Dataset>> open_command_dataset(const std::string& spec, long long limit, const JobContext& job);

int run_cluster(Arguments& arguments);
int run_export(Arguments& arguments);  // --project P --format csv|json|folder --out PATH
int run_info(Arguments& arguments);    // --project P [--verify]
int run_search(Arguments& arguments);
int run_pretrain(Arguments& arguments);
int run_simulate(Arguments& arguments);
int run_map(Arguments& arguments);
int run_multisub(Arguments& arguments);  // --encoder clip:DIR --aspect A [--words ...] [--prompt ...] --clusters K

}  // namespace corral::cli
