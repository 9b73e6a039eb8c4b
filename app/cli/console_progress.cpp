#include "console_progress.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace corral::cli {
namespace {

std::stop_source& interrupt_source() {
    static std::stop_source source;
    return source;
}

extern "C" void on_interrupt(int) {
    // request_stop only sets an atomic flag, which is safe in a signal handler.
    interrupt_source().request_stop();
}

}  // namespace

ConsoleProgress::ConsoleProgress(bool visible) : visible_(visible), interactive_(isatty(STDERR_FILENO) != 0) {
    std::signal(SIGINT, on_interrupt);
}

ConsoleProgress::~ConsoleProgress() { finish(); }

JobContext ConsoleProgress::job() {
    return JobContext(interrupt_source().get_token(), [this](double fraction, std::string_view message) {
        if (!visible_) return;
        const bool new_stage = message != last_message_;
        if (!new_stage && fraction - last_fraction_ < 0.01) return;
        last_fraction_ = fraction;
        last_message_ = std::string(message);
        if (interactive_) {
            std::fprintf(stderr, "\r\033[K%5.1f%% %.*s", 100.0 * fraction, static_cast<int>(message.size()), message.data());
        } else if (new_stage && printed_.insert(last_message_).second) {
            // In a log, stages that alternate (decoding, then reading, per batch) once each per job,
            // not once per batch (a 1M-image project printed some 700 lines).
            std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
        }
        std::fflush(stderr);
    });
}

void ConsoleProgress::finish() {
    if (visible_ && interactive_ && last_fraction_ >= 0) std::fprintf(stderr, "\r\033[K");
    last_fraction_ = -1.0;
    printed_.clear();
}

}  // namespace corral::cli
