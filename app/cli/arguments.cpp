#include "arguments.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace corral::cli {
namespace {

std::string range_text(long long minimum, long long maximum) {
    if (maximum == kNoLimit) return "at least " + std::to_string(minimum);
    return "from " + std::to_string(minimum) + " to " + std::to_string(maximum);
}

std::string number_text(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

}  // namespace

Expected<Arguments> Arguments::parse(const std::vector<std::string>& words, const std::set<std::string>& switches) {
    Arguments arguments;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& word = words[i];
        if (word.rfind("--", 0) != 0 || word.size() < 3) {
            return make_error(ErrorCode::invalid_argument, "unexpected argument '" + word + "'");
        }
        std::string name = word.substr(2);
        if (const auto equals = name.find('='); equals != std::string::npos) {
            arguments.values_[name.substr(0, equals)] = name.substr(equals + 1);
        } else if (switches.count(name)) {
            arguments.flags_.insert(name);
        } else if (i + 1 < words.size()) {
            arguments.values_[name] = words[++i];
        } else {
            return make_error(ErrorCode::invalid_argument, "option --" + name + " needs a value");
        }
    }
    return arguments;
}

std::optional<std::string> Arguments::text(const std::string& name) {
    used_.insert(name);
    if (auto it = values_.find(name); it != values_.end()) return it->second;
    return std::nullopt;
}

std::string Arguments::text_or(const std::string& name, const std::string& fallback) {
    return text(name).value_or(fallback);
}

Expected<long long> Arguments::integer_in(const std::string& name, long long fallback, long long minimum,
                                          long long maximum) {
    auto value = text(name);
    if (!value) return fallback;
    long long parsed = 0;
    auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), parsed);
    if (error == std::errc::result_out_of_range) {
        return make_error(ErrorCode::invalid_argument, "--" + name + " " + *value + " is out of range (" +
                                                           range_text(minimum, maximum) + ")");
    }
    if (error != std::errc() || end != value->data() + value->size()) {
        return make_error(ErrorCode::invalid_argument, "--" + name + " needs an integer, not '" + *value + "'");
    }
    if (parsed < minimum || parsed > maximum) {
        return make_error(ErrorCode::invalid_argument, "--" + name + " " + *value + " is out of range (" +
                                                           range_text(minimum, maximum) + ")");
    }
    return parsed;
}

Expected<double> parse_finite_number(const std::string& text, const std::string& what) {
    char* end = nullptr;
    const double parsed = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) {
        return make_error(ErrorCode::invalid_argument, what + " needs a number, not '" + text + "'");
    }
    // strtod accepts "nan" and "inf"; no option of Corral means either.
    if (!std::isfinite(parsed)) {
        return make_error(ErrorCode::invalid_argument, what + " needs a finite number, not '" + text + "'");
    }
    return parsed;
}

Expected<double> Arguments::number_in(const std::string& name, double fallback, double minimum, double maximum,
                                      bool exclusive_minimum) {
    auto value = text(name);
    if (!value) return fallback;
    auto parsed = parse_finite_number(*value, "--" + name);
    if (!parsed) return parsed;
    if (*parsed < minimum || (exclusive_minimum && *parsed == minimum) || *parsed > maximum) {
        return make_error(ErrorCode::invalid_argument,
                          "--" + name + " " + *value + " is out of range (" + (exclusive_minimum ? "above " : "from ") +
                              number_text(minimum) + (exclusive_minimum ? " up to " : " to ") + number_text(maximum) + ")");
    }
    return parsed;
}

Expected<long long> Arguments::integer_or(const std::string& name, long long fallback) {
    return integer_in(name, fallback, std::numeric_limits<long long>::min());
}

Expected<double> Arguments::number_or(const std::string& name, double fallback) {
    const double largest = std::numeric_limits<double>::max();
    return number_in(name, fallback, -largest, largest);
}

bool Arguments::flag(const std::string& name) {
    used_.insert(name);
    return flags_.count(name) > 0;
}

Status Arguments::check_all_used() const {
    for (const auto& [name, value] : values_) {
        if (!used_.count(name)) return make_error(ErrorCode::invalid_argument, "unknown option --" + name);
    }
    for (const auto& name : flags_) {
        if (!used_.count(name)) return make_error(ErrorCode::invalid_argument, "unknown option --" + name);
    }
    return ok();
}

}  // namespace corral::cli
