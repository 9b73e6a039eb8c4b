#include "arguments.h"

#include <charconv>
#include <cstdlib>

namespace corral::cli {

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

Expected<long long> Arguments::integer_or(const std::string& name, long long fallback) {
    auto value = text(name);
    if (!value) return fallback;
    long long parsed = 0;
    auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), parsed);
    if (error != std::errc() || end != value->data() + value->size()) {
        return make_error(ErrorCode::invalid_argument, "--" + name + " needs an integer, not '" + *value + "'");
    }
    return parsed;
}

Expected<double> Arguments::number_or(const std::string& name, double fallback) {
    auto value = text(name);
    if (!value) return fallback;
    char* end = nullptr;
    const double parsed = std::strtod(value->c_str(), &end);
    if (value->empty() || end != value->c_str() + value->size()) {
        return make_error(ErrorCode::invalid_argument, "--" + name + " needs a number, not '" + *value + "'");
    }
    return parsed;
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
