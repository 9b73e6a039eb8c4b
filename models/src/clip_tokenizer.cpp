#include "corral/models/clip_tokenizer.h"

#include <nlohmann/json.hpp>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#include <zlib.h>

#include <array>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "corral/models/model_error.h"

namespace corral::models {

namespace {

constexpr const char* kStartText = "<|startoftext|>";
constexpr const char* kEndText = "<|endoftext|>";
// simple_tokenizer.py keeps lines [1, 49152 - 256 - 2] of the archive: the vocabulary is then
// 256 bytes, 256 word-final bytes, 48894 merges and the two specials = 49408 entries.
constexpr std::size_t kArchiveMerges = 49152 - 256 - 2;

std::string codepoint_to_utf8(UChar32 codepoint) {
    std::array<char, 4> buffer{};
    std::int32_t length = 0;
    UBool error = false;
    U8_APPEND(reinterpret_cast<std::uint8_t*>(buffer.data()), length, 4, codepoint, error);
    return std::string(buffer.data(), static_cast<std::size_t>(length));
}

// GPT-2's reversible byte -> printable character table (bytes_to_unicode in simple_tokenizer.py),
// in the same order, because that order defines the first 512 vocabulary ids.
std::vector<std::pair<int, std::string>> byte_alphabet() {
    std::vector<int> bytes;
    for (int b = '!'; b <= '~'; ++b) bytes.push_back(b);
    for (int b = 0xA1; b <= 0xAC; ++b) bytes.push_back(b);
    for (int b = 0xAE; b <= 0xFF; ++b) bytes.push_back(b);
    std::vector<int> codepoints = bytes;
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
        if (std::find(bytes.begin(), bytes.end(), b) == bytes.end()) {
            bytes.push_back(b);
            codepoints.push_back(256 + extra++);
        }
    }
    std::vector<std::pair<int, std::string>> alphabet;
    for (std::size_t i = 0; i < bytes.size(); ++i) alphabet.emplace_back(bytes[i], codepoint_to_utf8(codepoints[i]));
    return alphabet;
}

std::u16string to_utf16(std::string_view text) {
    std::u16string result(text.size() + 1, u'\0');
    std::int32_t length = 0;
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8WithSub(reinterpret_cast<UChar*>(result.data()), static_cast<std::int32_t>(result.size()), &length,
                         text.data(), static_cast<std::int32_t>(text.size()), 0xFFFD, nullptr, &status);
    if (U_FAILURE(status)) return {};
    result.resize(static_cast<std::size_t>(length));
    return result;
}

std::string to_utf8(const std::u16string& text) {
    std::string result(text.size() * 3 + 1, '\0');
    std::int32_t length = 0;
    UErrorCode status = U_ZERO_ERROR;
    u_strToUTF8(result.data(), static_cast<std::int32_t>(result.size()), &length,
                reinterpret_cast<const UChar*>(text.data()), static_cast<std::int32_t>(text.size()), &status);
    if (U_FAILURE(status)) return {};
    result.resize(static_cast<std::size_t>(length));
    return result;
}

// Python's str.lower() is the full Unicode lower-case mapping (one character may become two).
std::u16string lower_case(const std::u16string& text) {
    std::u16string result(text.size() * 2 + 4, u'\0');
    UErrorCode status = U_ZERO_ERROR;
    const std::int32_t length =
        u_strToLower(reinterpret_cast<UChar*>(result.data()), static_cast<std::int32_t>(result.size()),
                     reinterpret_cast<const UChar*>(text.data()), static_cast<std::int32_t>(text.size()), "", &status);
    if (U_FAILURE(status)) return text;
    result.resize(static_cast<std::size_t>(length));
    return result;
}

std::u16string normalize_nfc(const std::u16string& text) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
    if (U_FAILURE(status)) return text;
    std::u16string result(text.size() * 3 + 4, u'\0');
    const std::int32_t length =
        unorm2_normalize(nfc, reinterpret_cast<const UChar*>(text.data()), static_cast<std::int32_t>(text.size()),
                         reinterpret_cast<UChar*>(result.data()), static_cast<std::int32_t>(result.size()), &status);
    if (U_FAILURE(status)) return text;
    result.resize(static_cast<std::size_t>(length));
    return result;
}

bool is_letter(UChar32 c) {
    const auto type = u_charType(c);
    return type == U_UPPERCASE_LETTER || type == U_LOWERCASE_LETTER || type == U_TITLECASE_LETTER ||
           type == U_MODIFIER_LETTER || type == U_OTHER_LETTER;
}

bool is_number(UChar32 c) {
    const auto type = u_charType(c);
    return type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER || type == U_OTHER_NUMBER;
}

bool is_space(UChar32 c) { return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE); }

// html.unescape for the entities prompts actually contain; ftfy's mojibake repair is not attempted.
std::string unescape_html(std::string_view text) {
    static const std::pair<std::string_view, std::string_view> kNamed[] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&nbsp;", "\xC2\xA0"}};
    std::string result;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] != '&') { result += text[i++]; continue; }
        bool replaced = false;
        for (const auto& [entity, value] : kNamed) {
            if (text.substr(i, entity.size()) == entity) {
                result += value;
                i += entity.size();
                replaced = true;
                break;
            }
        }
        if (!replaced && i + 2 < text.size() && text[i + 1] == '#') {
            const auto semicolon = text.find(';', i);
            if (semicolon != std::string_view::npos && semicolon - i <= 10) {
                const bool hex = text[i + 2] == 'x' || text[i + 2] == 'X';
                const std::string digits(text.substr(i + (hex ? 3 : 2), semicolon - i - (hex ? 3 : 2)));
                char* end = nullptr;
                const long value = digits.empty() ? -1 : std::strtol(digits.c_str(), &end, hex ? 16 : 10);
                if (value > 0 && value <= 0x10FFFF && end && *end == '\0') {
                    result += codepoint_to_utf8(static_cast<UChar32>(value));
                    i = semicolon + 1;
                    replaced = true;
                }
            }
        }
        if (!replaced) result += text[i++];
    }
    return result;
}

std::vector<std::string> read_lines(std::istream& in) {
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
    }
    return lines;
}

std::string read_gzip(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) throw ModelError(ModelErrorKind::missing, path.string() + ": not found");
    gzFile file = gzopen(path.c_str(), "rb");
    if (!file) throw ModelError(ModelErrorKind::io, path.string() + ": cannot open");
    std::string content;
    std::array<char, 1 << 16> buffer{};
    int read = 0;
    while ((read = gzread(file, buffer.data(), buffer.size())) > 0) content.append(buffer.data(), static_cast<std::size_t>(read));
    int error = Z_OK;
    gzerror(file, &error);
    gzclose(file);
    if (read < 0 || (error != Z_OK && error != Z_STREAM_END)) {
        throw ModelError(ModelErrorKind::corrupt, path.string() + ": damaged gzip data");
    }
    return content;
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ModelError(std::filesystem::exists(path) ? ModelErrorKind::io : ModelErrorKind::missing,
                         path.string() + ": cannot open");
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

std::pair<std::string, std::string> parse_merge(const std::string& line, const std::string& where) {
    const auto space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 >= line.size() || line.find(' ', space + 1) != std::string::npos) {
        throw ModelError(ModelErrorKind::corrupt, where + ": '" + line + "' is not a merge of two symbols");
    }
    return {line.substr(0, space), line.substr(space + 1)};
}

}  // namespace

struct ClipTokenizer::Tables {
    std::unordered_map<std::string, std::int64_t> vocabulary;
    std::unordered_map<std::string, std::int64_t> merge_ranks;  // "first second" -> rank
    std::array<std::string, 256> byte_symbols;
    mutable std::mutex cache_mutex;
    mutable std::unordered_map<std::string, std::vector<std::int64_t>> cache;
};

ClipTokenizer::ClipTokenizer(std::unique_ptr<Tables> tables) : tables_(std::move(tables)) {
    for (const auto& [byte, symbol] : byte_alphabet()) tables_->byte_symbols[static_cast<std::size_t>(byte)] = symbol;
    const auto start = tables_->vocabulary.find(kStartText);
    const auto end = tables_->vocabulary.find(kEndText);
    if (start == tables_->vocabulary.end() || end == tables_->vocabulary.end()) {
        throw ModelError(ModelErrorKind::corrupt, "the CLIP vocabulary lacks <|startoftext|> or <|endoftext|>");
    }
    start_token_ = start->second;
    end_token_ = end->second;
}

ClipTokenizer::~ClipTokenizer() = default;
ClipTokenizer::ClipTokenizer(ClipTokenizer&&) noexcept = default;
ClipTokenizer& ClipTokenizer::operator=(ClipTokenizer&&) noexcept = default;

ClipTokenizer ClipTokenizer::from_bpe_archive(const std::filesystem::path& bpe_gz) {
    std::istringstream in(read_gzip(bpe_gz));
    const auto lines = read_lines(in);
    if (lines.size() < kArchiveMerges + 1) {
        throw ModelError(ModelErrorKind::corrupt, bpe_gz.string() + ": has " + std::to_string(lines.size()) +
                                                      " lines, fewer than CLIP's 48895");
    }
    auto tables = std::make_unique<Tables>();
    std::int64_t next_id = 0;
    const auto alphabet = byte_alphabet();
    for (const auto& [byte, symbol] : alphabet) tables->vocabulary.emplace(symbol, next_id++);
    for (const auto& [byte, symbol] : alphabet) tables->vocabulary.emplace(symbol + "</w>", next_id++);
    for (std::size_t i = 1; i <= kArchiveMerges; ++i) {
        const auto [first, second] = parse_merge(lines[i], bpe_gz.string() + " line " + std::to_string(i + 1));
        tables->merge_ranks.emplace(first + " " + second, static_cast<std::int64_t>(i - 1));
        tables->vocabulary.emplace(first + second, next_id++);
    }
    tables->vocabulary.emplace(kStartText, next_id++);
    tables->vocabulary.emplace(kEndText, next_id++);
    return ClipTokenizer(std::move(tables));
}

ClipTokenizer ClipTokenizer::from_vocab_and_merges(const std::filesystem::path& vocab_json,
                                                   const std::filesystem::path& merges_txt) {
    auto tables = std::make_unique<Tables>();
    nlohmann::json vocabulary;
    try {
        vocabulary = nlohmann::json::parse(read_text(vocab_json));
    } catch (const nlohmann::json::exception& error) {
        throw ModelError(ModelErrorKind::corrupt, vocab_json.string() + ": not valid JSON (" + error.what() + ")");
    }
    if (!vocabulary.is_object()) throw ModelError(ModelErrorKind::corrupt, vocab_json.string() + ": not a JSON object");
    for (const auto& [token, id] : vocabulary.items()) {
        if (!id.is_number_unsigned()) {
            throw ModelError(ModelErrorKind::corrupt, vocab_json.string() + ": id of '" + token + "' is not a non-negative integer");
        }
        tables->vocabulary.emplace(token, id.get<std::int64_t>());
    }
    std::istringstream in(read_text(merges_txt));
    const auto lines = read_lines(in);
    std::int64_t rank = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].empty() || (i == 0 && lines[i].rfind("#version", 0) == 0)) continue;
        const auto [first, second] = parse_merge(lines[i], merges_txt.string() + " line " + std::to_string(i + 1));
        tables->merge_ranks.emplace(first + " " + second, rank++);
    }
    if (rank == 0) throw ModelError(ModelErrorKind::corrupt, merges_txt.string() + ": holds no merges");
    return ClipTokenizer(std::move(tables));
}

ClipTokenizer ClipTokenizer::from_folder(const std::filesystem::path& folder) {
    const auto vocab = folder / "vocab.json";
    const auto merges = folder / "merges.txt";
    if (std::filesystem::exists(vocab) && std::filesystem::exists(merges)) return from_vocab_and_merges(vocab, merges);
    const auto archive = folder / "bpe_simple_vocab_16e6.txt.gz";
    if (std::filesystem::exists(archive)) return from_bpe_archive(archive);
    throw ModelError(ModelErrorKind::missing, folder.string() +
                                                  ": no tokenizer (expected vocab.json and merges.txt, or bpe_simple_vocab_16e6.txt.gz)");
}

std::int64_t ClipTokenizer::vocabulary_size() const { return static_cast<std::int64_t>(tables_->vocabulary.size()); }

std::optional<std::int64_t> ClipTokenizer::token_id(const std::string& token) const {
    const auto found = tables_->vocabulary.find(token);
    if (found == tables_->vocabulary.end()) return std::nullopt;
    return found->second;
}

std::string clean_clip_text(std::string_view text) {
    // html.unescape twice (as basic_clean), NFC (what ftfy.fix_text ends with), then whitespace_clean and lower().
    const std::string unescaped = unescape_html(unescape_html(text));
    const std::string normalized = to_utf8(lower_case(normalize_nfc(to_utf16(unescaped))));
    std::string collapsed;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(normalized.data());
    const auto length = static_cast<std::int32_t>(normalized.size());
    bool pending_space = false;
    for (std::int32_t i = 0; i < length;) {
        const std::int32_t begin = i;
        UChar32 c = 0;
        U8_NEXT(bytes, i, length, c);
        if (c >= 0 && is_space(c)) {
            pending_space = true;
            continue;
        }
        if (pending_space && !collapsed.empty()) collapsed += ' ';
        pending_space = false;
        collapsed.append(normalized, static_cast<std::size_t>(begin), static_cast<std::size_t>(i - begin));
    }
    return collapsed;
}

std::vector<std::string> split_clip_words(std::string_view text) {
    // The alternation of simple_tokenizer's pattern, tried in its order at each position:
    // specials | 's|'t|'re|'ve|'m|'ll|'d | \p{L}+ | \p{N} | [^\s\p{L}\p{N}]+
    static const std::string_view kFixed[] = {kStartText, kEndText, "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
    const auto length = static_cast<std::int32_t>(text.size());
    std::vector<std::string> words;
    for (std::int32_t i = 0; i < length;) {
        bool matched = false;
        for (const auto fixed : kFixed) {
            if (text.substr(static_cast<std::size_t>(i), fixed.size()) == fixed) {
                words.emplace_back(fixed);
                i += static_cast<std::int32_t>(fixed.size());
                matched = true;
                break;
            }
        }
        if (matched) continue;
        const std::int32_t begin = i;
        UChar32 c = 0;
        U8_NEXT(bytes, i, length, c);
        if (c < 0) c = 0xFFFD;
        if (is_space(c)) continue;
        auto take_while = [&](auto predicate) {
            while (i < length) {
                std::int32_t next = i;
                UChar32 following = 0;
                U8_NEXT(bytes, next, length, following);
                if (following < 0) following = 0xFFFD;
                if (!predicate(following)) break;
                i = next;
            }
        };
        if (is_letter(c)) take_while(is_letter);
        else if (!is_number(c)) take_while([](UChar32 x) { return !is_space(x) && !is_letter(x) && !is_number(x); });
        words.emplace_back(text.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(i - begin)));
    }
    return words;
}

std::vector<std::string> ClipTokenizer::byte_pair_merge(const std::string& word) const {
    std::vector<std::string> symbols;
    for (unsigned char byte : word) symbols.push_back(tables_->byte_symbols[byte]);
    if (symbols.empty()) return symbols;
    symbols.back() += "</w>";
    // Merge the lowest-ranked adjacent pair everywhere it occurs, until no pair has a rank.
    while (symbols.size() > 1) {
        std::int64_t best_rank = std::numeric_limits<std::int64_t>::max();
        std::string best_first, best_second;
        for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
            const auto found = tables_->merge_ranks.find(symbols[i] + " " + symbols[i + 1]);
            if (found != tables_->merge_ranks.end() && found->second < best_rank) {
                best_rank = found->second;
                best_first = symbols[i];
                best_second = symbols[i + 1];
            }
        }
        if (best_rank == std::numeric_limits<std::int64_t>::max()) break;
        std::vector<std::string> merged;
        for (std::size_t i = 0; i < symbols.size();) {
            if (i + 1 < symbols.size() && symbols[i] == best_first && symbols[i + 1] == best_second) {
                merged.push_back(best_first + best_second);
                i += 2;
            } else {
                merged.push_back(symbols[i++]);
            }
        }
        symbols = std::move(merged);
    }
    return symbols;
}

std::vector<std::int64_t> ClipTokenizer::encode(std::string_view text) const {
    std::vector<std::int64_t> ids;
    for (const auto& word : split_clip_words(clean_clip_text(text))) {
        if (word == kStartText) { ids.push_back(start_token_); continue; }
        if (word == kEndText) { ids.push_back(end_token_); continue; }
        {
            std::lock_guard lock(tables_->cache_mutex);
            if (const auto cached = tables_->cache.find(word); cached != tables_->cache.end()) {
                ids.insert(ids.end(), cached->second.begin(), cached->second.end());
                continue;
            }
        }
        std::vector<std::int64_t> word_ids;
        for (const auto& symbol : byte_pair_merge(word)) {
            const auto found = tables_->vocabulary.find(symbol);
            if (found == tables_->vocabulary.end()) {
                throw ModelError(ModelErrorKind::corrupt, "the CLIP vocabulary lacks the BPE symbol '" + symbol +
                                                              "' its own merges produce");
            }
            word_ids.push_back(found->second);
        }
        ids.insert(ids.end(), word_ids.begin(), word_ids.end());
        std::lock_guard lock(tables_->cache_mutex);
        if (tables_->cache.size() < 100000) tables_->cache.emplace(word, std::move(word_ids));
    }
    return ids;
}

TokenBatch ClipTokenizer::tokenize(const std::vector<std::string>& texts, std::int64_t context) const {
    if (context < 2) throw std::invalid_argument("a CLIP context holds at least the start and end tokens");
    TokenBatch batch;
    batch.ids = torch::zeros({static_cast<std::int64_t>(texts.size()), context}, torch::kInt64);
    auto ids = batch.ids.accessor<std::int64_t, 2>();
    for (std::size_t t = 0; t < texts.size(); ++t) {
        std::vector<std::int64_t> tokens{start_token_};
        const auto body = encode(texts[t]);
        tokens.insert(tokens.end(), body.begin(), body.end());
        tokens.push_back(end_token_);
        const bool truncated = static_cast<std::int64_t>(tokens.size()) > context;
        if (truncated) {
            tokens.resize(static_cast<std::size_t>(context));
            tokens.back() = end_token_;
        }
        for (std::size_t i = 0; i < tokens.size(); ++i) ids[static_cast<std::int64_t>(t)][static_cast<std::int64_t>(i)] = tokens[i];
        batch.end_positions.push_back(static_cast<std::int64_t>(tokens.size()) - 1);
        batch.truncated.push_back(truncated);
    }
    return batch;
}

}  // namespace corral::models
