// corral_project_helper: a second process for the project store tests. Modes:
//   answers PROJECT            record answers forever; print "A ID SAMPLE" / "U ID" after each
//                              acknowledged answer / undo (the kill test SIGKILLs it at random)
//   open PROJECT [--as-nobody] try to open; print "ok" or "error CODE MESSAGE" (as root,
//                              --as-nobody drops to uid 65534 so permission bits apply)
//   kill-loop PROJECT KILLS SEED MAX_DELAY_US
//                              KILLS times: fork a writer running `answers`, SIGKILL it after a
//                              random delay, print "K N DELAY_US" (forking here avoids loading
//                              the helper's libraries hundreds of times)
//   inspect PROJECT [--as-nobody]
//                              open read-only; print "ok ANSWERS INTEGRITY" (or "error CODE
//                              MESSAGE"), then try one write and print "write-error CODE MESSAGE"
//   hold PROJECT               open, print "ok", then wait until killed
//   fill PROJECT BYTES         limit file size to BYTES (RLIMIT_FSIZE, like a full disk), record
//                              answers until one fails, then try to store large embeddings
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "corral/core/project.h"

namespace {

using namespace corral;

void print_error(const char* prefix, const Error& error) {
    std::printf("%s %d %s\n", prefix, static_cast<int>(error.code), error.describe().c_str());
    std::fflush(stdout);
}

// Answers the open round's samples in order from its stored position, as a user would: each
// answer names the sample at the round's position, so the store advances the position with it
// (and an undo moves it back). A finished round is followed by a new one.
int keep_answering(Project& project) {
    auto current = project.open_round();
    if (!current) return print_error("error", current.error()), 1;
    std::int64_t round_id = 0;
    std::int64_t position = 0;
    std::vector<std::int64_t> round_samples;
    if (*current) {
        round_id = (*current)->id;
        position = (*current)->position;
        for (const auto& sample : (*current)->samples) round_samples.push_back(sample.sample);
    }
    constexpr std::int64_t kRoundSize = 200;
    for (std::int64_t step = 0;; ++step) {
        if (round_id == 0 || position >= static_cast<std::int64_t>(round_samples.size())) {
            auto base = project.clustering_by_name("base");
            std::int64_t clustering_id = 0;
            if (base) {
                clustering_id = base->id;
            } else {
                auto saved = project.save_clustering({0, "base", "kmeans", "{}", "none", 10, {}, {}, ""});
                if (!saved) return print_error("error", saved.error()), 1;
                clustering_id = *saved;
            }
            // Distinct samples per round (any values would do; these differ between rounds).
            std::vector<RoundSample> samples;
            round_samples.clear();
            for (std::int64_t i = 0; i < kRoundSize; ++i) {
                samples.push_back({i * 7 + round_id, 1.0, {1, 2, 3}, {}});
                round_samples.push_back(samples.back().sample);
            }
            auto started = project.start_round(clustering_id, samples);
            if (!started) return print_error("error", started.error()), 1;
            round_id = *started;
            position = 0;
        }
        AnswerInput answer;
        answer.round_id = round_id;
        answer.sample = round_samples[static_cast<std::size_t>(position)];  // the sample the round shows now
        answer.shown_candidates = {1, 2, 3};
        answer.kind = step % 3 == 0 ? AnswerKind::negative : AnswerKind::positive;
        answer.chosen_cluster = answer.kind == AnswerKind::positive ? static_cast<int>(step % 3) : -1;
        auto id = project.record_answer(answer);
        if (!id) return print_error("error", id.error()), 1;
        std::printf("A %lld %lld\n", static_cast<long long>(*id), static_cast<long long>(answer.sample));
        std::fflush(stdout);
        ++position;
        if (step % 9 == 8) {
            auto undone = project.undo_last_answer();
            if (!undone) return print_error("error", undone.error()), 1;
            std::printf("U %lld\n", static_cast<long long>(undone->id));
            std::fflush(stdout);
            --position;
        }
    }
}

int kill_loop(const std::string& folder, int kills, unsigned seed, int max_delay_us) {
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> delay_us(0, max_delay_us);
    for (int kill = 0; kill < kills; ++kill) {
        std::fflush(stdout);  // the child must not inherit buffered lines
        const pid_t child = ::fork();
        if (child < 0) return std::perror("fork"), 3;
        if (child == 0) {
            auto project = Project::open_or_create(folder);
            if (!project) print_error("error", project.error()), std::_Exit(1);
            keep_answering(**project);
            std::_Exit(1);
        }
        const int delay = delay_us(random);
        ::usleep(static_cast<useconds_t>(delay));
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        std::printf("%s %d %d\n", killed ? "K" : "X", kill, delay);
    }
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: corral_project_helper answers|open|hold|fill PROJECT [...]\n");
        return 2;
    }
    const std::string mode = argv[1];
    const std::string folder = argv[2];
    if ((mode == "open" || mode == "inspect") && argc > 3 && std::strcmp(argv[3], "--as-nobody") == 0 &&
        ::geteuid() == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) return std::perror("setuid"), 3;
    }
    if (mode == "fill") {
        if (argc < 4) return 2;
        // Without this the kernel kills the process at the limit; ignored, write() fails with EFBIG.
        std::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{static_cast<rlim_t>(std::atoll(argv[3])), static_cast<rlim_t>(std::atoll(argv[3]))};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return std::perror("setrlimit"), 3;
    }
    if (mode == "kill-loop") {
        if (argc < 6) return 2;
        return kill_loop(folder, std::atoi(argv[3]), static_cast<unsigned>(std::atoll(argv[4])), std::atoi(argv[5]));
    }
    if (mode == "inspect") {
        auto project = Project::open_read_only(folder);
        if (!project) return print_error("error", project.error()), 1;
        auto answers = (*project)->answers(true);
        if (!answers) return print_error("error", answers.error()), 1;
        std::printf("ok %zu %s\n", answers->size(), (*project)->check_integrity() ? "intact" : "damaged");
        auto written = (*project)->record_answer({std::nullopt, std::nullopt, 1, {}, AnswerKind::skip, -1, 0});
        if (written) return std::printf("write-ok\n"), 1;
        print_error("write-error", written.error());
        return 0;
    }
    auto project = mode == "answers" ? Project::open_or_create(folder) : Project::open(folder);
    if (!project) return print_error("error", project.error()), 1;
    if (mode == "open") return std::printf("ok\n"), 0;
    if (mode == "hold") {
        std::printf("ok\n");
        std::fflush(stdout);
        for (;;) ::pause();
    }
    if (mode == "answers") return keep_answering(**project);
    if (mode == "fill") {
        for (int i = 0;; ++i) {
            AnswerInput answer;
            answer.sample = i;
            answer.shown_candidates = std::vector<int>(50, 1);  // large rows fill the limit sooner
            answer.kind = AnswerKind::manual_move;
            answer.chosen_cluster = 1;
            auto id = (*project)->record_answer(answer);
            if (!id) {
                print_error("answer-error", id.error());
                break;
            }
            std::printf("A %lld %d\n", static_cast<long long>(*id), i);
            std::fflush(stdout);
        }
        auto stored = (*project)->store_embeddings("big", FloatMatrix(2000, 512, 0.5f));
        if (!stored) print_error("embeddings-error", stored.error());
        else std::printf("embeddings-ok\n");
        return 0;
    }
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
}
