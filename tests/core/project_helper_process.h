#pragma once
// Runs corral_project_helper (tests/support/project_helper.cpp) as a child process with its
// stdout on a pipe, for the project store tests that need a second process or a SIGKILL.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace corral::testing {

class HelperProcess {
public:
    explicit HelperProcess(std::vector<std::string> arguments) {
        arguments.insert(arguments.begin(), CORRAL_PROJECT_HELPER);
        int pipe_ends[2];
        if (::pipe2(pipe_ends, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
        std::vector<char*> argv;
        for (auto& argument : arguments) argv.push_back(argument.data());
        argv.push_back(nullptr);
        const int failed = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(pipe_ends[1]);
        output_fd_ = pipe_ends[0];
        if (failed != 0) throw std::runtime_error("cannot start " + arguments[0]);
    }
    ~HelperProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait();
        }
        ::close(output_fd_);
    }
    HelperProcess(const HelperProcess&) = delete;
    HelperProcess& operator=(const HelperProcess&) = delete;

    void kill_now() { ::kill(pid_, SIGKILL); }

    // Reads what the child has written so far, waiting at most timeout_ms for something.
    void read_available(int timeout_ms) {
        pollfd poll_fd{output_fd_, POLLIN, 0};
        if (::poll(&poll_fd, 1, timeout_ms) <= 0) return;
        char buffer[65536];
        const ssize_t got = ::read(output_fd_, buffer, sizeof buffer);
        if (got > 0) output_.append(buffer, static_cast<std::size_t>(got));
    }
    // Waits for the child to end (reading everything it wrote); returns its wait status.
    int wait() {
        for (;;) {
            char buffer[65536];
            const ssize_t got = ::read(output_fd_, buffer, sizeof buffer);
            if (got <= 0) break;
            output_.append(buffer, static_cast<std::size_t>(got));
        }
        int status = 0;
        if (pid_ > 0) ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }
    // Complete lines only: a line cut short by a kill was not acknowledged.
    std::vector<std::string> lines() const {
        std::vector<std::string> result;
        std::size_t start = 0;
        for (std::size_t end; (end = output_.find('\n', start)) != std::string::npos; start = end + 1) {
            result.push_back(output_.substr(start, end - start));
        }
        return result;
    }
    const std::string& output() const { return output_; }

private:
    pid_t pid_ = -1;
    int output_fd_ = -1;
    std::string output_;
};

}  // namespace corral::testing
