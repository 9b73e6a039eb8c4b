#pragma once
// Command-line options of corral-cli: "--name value" pairs and "--flag" switches after the
// subcommand. Every option a command reads is marked used; unknown ones are reported. Numbers
// are checked where they are read: a value that is not a number, not finite (nan, inf) or
// outside the option's range is refused with invalid_argument (exit code 2), naming the range.
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "corral/core/expected.h"

namespace corral::cli {

inline constexpr long long kNoLimit = std::numeric_limits<long long>::max();

class Arguments {
public:
    // `switches` lists the options that take no value.
    static Expected<Arguments> parse(const std::vector<std::string>& words, const std::set<std::string>& switches);

    std::optional<std::string> text(const std::string& name);
    std::string text_or(const std::string& name, const std::string& fallback);
    // An integer in [minimum, maximum] (the fallback when the option is absent; it is not checked).
    Expected<long long> integer_in(const std::string& name, long long fallback, long long minimum, long long maximum = kNoLimit);
    // A finite number in [minimum, maximum]; with `exclusive_minimum`, minimum itself is refused.
    Expected<double> number_in(const std::string& name, double fallback, double minimum, double maximum,
                               bool exclusive_minimum = false);
    // Unchecked forms (any integer; any finite number), for options without a natural range.
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

// A finite number, or invalid_argument naming `what` (for list options parsed item by item).
Expected<double> parse_finite_number(const std::string& text, const std::string& what);

}  // namespace corral::cli
