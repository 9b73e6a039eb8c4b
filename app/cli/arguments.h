#pragma once
// Command-line options of corral-cli: "--name value" pairs and "--flag" switches after the
// subcommand. Every option a command reads is marked used; unknown ones are reported.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "corral/core/expected.h"

namespace corral::cli {

class Arguments {
public:
    // `switches` lists the options that take no value.
    static Expected<Arguments> parse(const std::vector<std::string>& words, const std::set<std::string>& switches);

    std::optional<std::string> text(const std::string& name);
    std::string text_or(const std::string& name, const std::string& fallback);
    Expected<long long> integer_or(const std::string& name, long long fallback);
    Expected<double> number_or(const std::string& name, double fallback);
    bool flag(const std::string& name);

    // Fails when an option was given that no call above asked for (a typo, usually).
    Status check_all_used() const;

private:
    std::map<std::string, std::string> values_;
    std::set<std::string> flags_;
    std::set<std::string> used_;
};

}  // namespace corral::cli
