// corral-cli: the engine without a window. Builds nothing itself: it parses the command line
// and hands the work to core.
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "corral/core/runtime.h"

namespace corral::cli {

struct Command {
    std::function<int(Arguments&)> run;
    std::set<std::string> switches;
    const char* summary;
};

const std::map<std::string, Command>& commands() {
    static const std::map<std::string, Command> table = {
        {"cluster", {run_cluster, {"json"}, "encode a dataset and cluster it with k-means; print NMI/ACC/ARI/RI"}},
        {"export", {run_export, {"json", "copy"}, "write a project's clustering as csv, json or a folder tree"}},
        {"info", {run_info, {"json", "verify"}, "summarise a project and check its images and database"}},
        {"search", {run_search, {"json"}, "zero-shot text->image search: the images a CLIP model finds closest to --text"}},
        {"pretrain", {run_pretrain, {"json", "restart"}, "train the embedded convnet clustering model on a dataset"}},
        {"simulate", {run_simulate, {"json"}, "IDC with a simulated user: value mining, queries, feedback training"}},
        {"multisub", {run_multisub, {"json"}, "cluster by one aspect (--aspect color) with Multi-Sub on a CLIP model"}},
        {"map", {run_map, {"json"}, "encode a dataset and lay it out with t-SNE (--out map.csv, --project P, --perplexity, --iterations)"}},
    };
    return table;
}

int report_failure(const Error& error) {
    std::cerr << "corral-cli: " << error.describe() << "\n";
    if (error.code == ErrorCode::cancelled) return 130;
    return error.code == ErrorCode::invalid_argument ? 2 : 1;
}

void print_usage() {
    std::cout << "usage: corral-cli COMMAND [--option value ...]\n\ncommands:\n";
    for (const auto& [name, command] : commands()) std::printf("  %-10s %s\n", name.c_str(), command.summary);
    std::cout << "\ncommon options:\n"
                 "  --data SPEC      fashion-mnist[:train|:test], idx:PATH, cifar:DIR, folder:DIR or a path\n"
                 "  --encoder NAME   pixels[:SIDE], convnet:DIR (a model from pretrain) or clip:MODEL_DIR\n"
                 "                   (a Hugging Face CLIP folder; see docs/models.md)\n"
                 "  --limit N        use at most N images (an even sample)\n"
                 "  --threads N      compute threads (default: all cores)\n"
                 "  --project PATH   a project folder (NAME.corral) to read and write\n"
                 "  --json           machine-readable output\n"
                 "\nexample: corral-cli cluster --data fashion-mnist --encoder pixels --clusters 10 --json\n";
}

}  // namespace corral::cli

int main(int argc, char* argv[]) {
    using namespace corral::cli;
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        print_usage();
        return argc < 2 ? 2 : 0;
    }
    const auto found = commands().find(argv[1]);
    if (found == commands().end()) {
        std::cerr << "corral-cli: unknown command '" << argv[1] << "' (try corral-cli --help)\n";
        return 2;
    }
    auto arguments = Arguments::parse(std::vector<std::string>(argv + 2, argv + argc), found->second.switches);
    if (!arguments) return report_failure(arguments.error());
    auto threads = arguments->integer_or("threads", 0);
    if (!threads) return report_failure(threads.error());
    corral::configure_runtime({static_cast<int>(*threads)});
    try {
        return found->second.run(*arguments);
    } catch (const std::exception& error) {
        // Core reports errors as values; an exception here is a bug, but still no crash.
        std::cerr << "corral-cli: internal error: " << error.what() << "\n";
        return 1;
    }
}
