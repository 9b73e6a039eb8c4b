// corral-cli: the engine without a window. Builds nothing itself: it parses the command line
// and hands the work to core.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "corral/core/runtime.h"

namespace corral::cli {

struct OptionHelp {
    const char* name;  // "--clusters K"
    const char* text;
};

struct Command {
    std::function<int(Arguments&)> run;
    std::set<std::string> switches;
    const char* summary;
    std::vector<OptionHelp> options;  // what `corral-cli COMMAND --help` lists
};

const OptionHelp kData{"--data SPEC", "the images: fashion-mnist[:train|:test], idx:PATH, cifar:DIR, folder:DIR or a path "
                                      "(each image once), folder-keep-duplicates:DIR (every file)"};
const OptionHelp kEncoder{"--encoder NAME", "pixels[:SIDE], convnet:DIR (a model from pretrain) or clip:MODEL_DIR"};
const OptionHelp kLimit{"--limit N", "use at most N images, an even sample (0, the default: every image)"};
const OptionHelp kSeed{"--seed N", "random seed (0 or more; default 0)"};
const OptionHelp kJson{"--json", "machine-readable output on stdout"};

const std::map<std::string, Command>& commands() {
    static const std::map<std::string, Command> table = {
        {"cluster",
         {run_cluster, {"json"}, "encode a dataset and cluster it with k-means; print NMI/ACC/ARI/RI",
          {kData, kEncoder, {"--clusters K", "number of clusters, 1..100000 (default 10)"},
           {"--restarts N", "k-means restarts, 1..1000 (default 3)"}, {"--metric M", "euclidean (default) or cosine"},
           {"--duplicates D", "an image folder's links and identical copies: keep-one (default) or keep-all"},
           kLimit, kSeed,
           {"--project PATH", "save dataset, features and clustering in this project (created when new; a failed "
                              "run leaves no new project behind)"},
           {"--name NAME", "the clustering's name in the project (default kmeans-K)"}, kJson}}},
        {"export",
         {run_export, {"json", "copy", "links", "force"}, "write a project's clustering, embeddings, map or value scores",
          {{"--project PATH", "the project (opened read-only: also an archived project, or one open in Corral)"},
           {"--out PATH", "the file, or for --format folder the folder (created when missing); never inside a "
                          "project"},
           {"--what W", "clusters (default), embeddings, map or values"},
           {"--format F", "clusters: csv (default), json or folder; the others: npy (default) or csv"},
           {"--clustering NAME", "which clustering (default: the current one)"},
           {"--encoder ID", "embeddings: which encoder's (default: the current clustering's)"},
           {"--links", "folder: symbolic links to the images (the default)"},
           {"--copy", "folder: copies of the images instead of links"},
           {"--force", "replace an existing file, or an earlier Corral export folder"}, kJson}}},
        {"info",
         {run_info, {"json", "verify"}, "summarise a project and check its images and database",
          {{"--project PATH", "the project (opened read-only)"},
           {"--verify", "also re-read every image, embeddings and checkpoint file against its recorded checksum"},
           kJson}}},
        {"search",
         {run_search, {"json"}, "zero-shot text->image search: the images a CLIP model finds closest to --text",
          {kData, {"--encoder clip:MODEL_DIR", "the CLIP model folder"}, {"--text TEXT", "what to look for"},
           {"--top N", "how many results, 1..100000 (default 10)"}, kLimit, kJson}}},
        {"pretrain",
         {run_pretrain, {"json", "restart"}, "train the embedded convnet clustering model on a dataset",
          {kData, {"--out DIR", "the model folder (training resumes there unless --restart)"},
           {"--clusters K", "2..10000 (default 10)"}, {"--epochs N", "1..100000"},
           {"--images-per-epoch N", "0 (all) or more"}, {"--batch N", "2..65536"}, {"--size PX", "16..128 (0: native)"},
           {"--lr RATE", "learning rate, above 0 up to 10"}, {"--widths LIST", "stage widths, e.g. 32,64,128"},
           {"--blocks N", "residual blocks per stage, 1..4"}, {"--feature-dim N", "linear feature layer after pooling (0 = none)"},
           {"--restart", "start over instead of resuming"}, kLimit, kSeed, kJson}}},
        {"simulate",
         {run_simulate, {"json"}, "IDC with a simulated user: value mining, queries, feedback training",
          {{"--project PATH", "the project the simulated answers go into (created when new; default a temporary one)"},
           kData, kEncoder, {"--clusters K", "at least 2 (default 10)"},
           {"--queries N", "questions in all, split over the rounds (default 500)"},
           {"--rounds N", "rounds (default 1)"}, {"--candidates T", "candidate clusters per question"},
           {"--strategy S", "hard, hard-rep, hard-rep-div (default) or random"},
           {"--weights H,R,D", "value weights hard,rep,div (default 1,1,1)"},
           {"--fine-tune T", "automatic (default), network or head"}, {"--epochs N", "fine-tuning epochs, 1 or more"},
           {"--frozen-blocks N", "leading convnet blocks kept frozen (0 or more)"},
           {"--answer-neighbours N", "nearest images each positive answer lends its cluster to (0: none)"},
           {"--learning-rate R", "0..1 (0: the default)"}, kLimit, kSeed, kJson}}},
        {"multisub",
         {run_multisub, {"json"}, "cluster by one aspect (--aspect color) with Multi-Sub on a CLIP model",
          {kData, {"--encoder clip:MODEL_DIR", "the CLIP model folder"}, {"--aspect A", "color, shape, ... or any word"},
           {"--words LIST", "reference words (comma list; default: the aspect's lexicon)"},
           {"--prompt TEXT", "prompt with '*' for the learned word"}, {"--object WORD", "the object word (default object)"},
           {"--clusters K", "2..10000 (default 10)"}, {"--alternations N", "1..1000"},
           {"--phase-one-epochs N", "0..100000"}, {"--phase-two-epochs N", "0..100000"},
           {"--latent-lr RATE", "above 0 up to 1000"}, {"--labels NAME=CSV,...", "further ground truths to score against"},
           {"--project PATH", "save the clustering in this project"}, {"--name NAME", "its name (default multisub-ASPECT)"},
           kLimit, kSeed, kJson}}},
        {"map",
         {run_map, {"json", "force"}, "encode a dataset and lay it out with t-SNE",
          {{"--out FILE.csv", "the map as CSV (index,item,x,y[,class][,cluster]); never inside a project"},
           {"--force", "replace an existing --out file"}, kData, kEncoder,
           {"--project PATH", "take data and features from this project and store the map there"},
           {"--perplexity P", "1..10000 (default 30)"}, {"--iterations N", "1..100000 (default 750)"}, kLimit, kSeed,
           kJson}}},
    };
    return table;
}

int report_failure(const Error& error) {
    std::cerr << "corral-cli: " << error.describe() << "\n";
    if (error.code == ErrorCode::cancelled) return 130;
    return error.code == ErrorCode::invalid_argument ? 2 : 1;
}

void print_usage() {
    std::cout << "usage: corral-cli COMMAND [--option value ...]   (corral-cli COMMAND --help lists its options)\n\n"
                 "commands:\n";
    for (const auto& [name, command] : commands()) std::printf("  %-10s %s\n", name.c_str(), command.summary);
    std::cout << "\ncommon options:\n"
                 "  --data SPEC      fashion-mnist[:train|:test], idx:PATH, cifar:DIR, folder:DIR or a path\n"
                 "  --encoder NAME   pixels[:SIDE], convnet:DIR (a model from pretrain) or clip:MODEL_DIR\n"
                 "                   (a Hugging Face CLIP folder; see docs/models.md)\n"
                 "  --limit N        use at most N images (an even sample)\n"
                 "  --threads N      compute threads (default: all cores; at most one per processor)\n"
                 "  --project PATH   a project folder (NAME.corral) to read and write\n"
                 "  --json           machine-readable output\n"
                 "\nexample: corral-cli cluster --data fashion-mnist --encoder pixels --clusters 10 --json\n";
}

void print_command_usage(const std::string& name, const Command& command) {
    std::cout << "usage: corral-cli " << name << " [--option value ...]\n" << command.summary << "\n\noptions:\n";
    for (const auto& option : command.options) std::printf("  %-24s %s\n", option.name, option.text);
    std::printf("  %-24s %s\n", "--threads N", "compute threads (default: all cores; at most one per processor)");
}

// --threads: 1 or more; more than the machine has processors only adds contention (1000 threads
// start thousands of pool threads), so it is capped with a note.
Expected<int> thread_count(Arguments& arguments) {
    auto threads = arguments.integer_in("threads", 0, 1, 1'000'000);
    if (!threads) return threads.error();
    const long long processors = std::max(1u, std::thread::hardware_concurrency());
    if (*threads > processors) {
        std::cerr << "corral-cli: --threads " << *threads << " is more than the " << processors
                  << " processors here; using " << processors << "\n";
        return static_cast<int>(processors);
    }
    return static_cast<int>(*threads);
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
    for (int i = 2; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            print_command_usage(found->first, found->second);
            return 0;
        }
    }
    auto arguments = Arguments::parse(std::vector<std::string>(argv + 2, argv + argc), found->second.switches);
    if (!arguments) return report_failure(arguments.error());
    auto threads = thread_count(*arguments);
    if (!threads) return report_failure(threads.error());
    corral::configure_runtime({*threads});
    try {
        return found->second.run(*arguments);
    } catch (const std::exception& error) {
        // Core reports errors as values (its entry points are guarded); this is a last resort.
        std::cerr << "corral-cli: internal error: " << error.what() << "\n";
        return 1;
    }
}
