#pragma once
// CLIP's byte-level BPE tokenizer, as OpenAI's simple_tokenizer.py: NFC + HTML unescape +
// whitespace collapse + lower-casing, the regex pre-split (contractions, letter runs, single
// digits, punctuation runs), byte-level BPE, <|startoftext|>/<|endoftext|> around each text and
// a fixed context (77). Immutable once built; encode() and tokenize() are safe from any thread.
// Loaders throw ModelError (missing / corrupt) naming the file.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::models {

struct TokenBatch {
    torch::Tensor ids;                        // int64 [texts, context], zero-padded after the end token
    std::vector<std::int64_t> end_positions;  // per text, the index of its <|endoftext|> token
    std::vector<bool> truncated;              // per text, whether it was cut to fit the context
};

class ClipTokenizer {
public:
    // Hugging Face layout: vocab.json (token -> id) and merges.txt ("#version" line, then "a b" pairs).
    static ClipTokenizer from_vocab_and_merges(const std::filesystem::path& vocab_json,
                                               const std::filesystem::path& merges_txt);
    // OpenAI's bpe_simple_vocab_16e6.txt.gz: the vocabulary is rebuilt from the first 48894 merges.
    static ClipTokenizer from_bpe_archive(const std::filesystem::path& bpe_gz);
    // vocab.json + merges.txt in `folder`, else bpe_simple_vocab_16e6.txt.gz there.
    static ClipTokenizer from_folder(const std::filesystem::path& folder);

    // BPE ids of `text` without start and end tokens.
    std::vector<std::int64_t> encode(std::string_view text) const;
    // [start] + encode(text) + [end], zero-padded to `context`; over-long texts keep their first
    // context - 1 tokens and end with the end token.
    TokenBatch tokenize(const std::vector<std::string>& texts, std::int64_t context = 77) const;

    // The id of a vocabulary entry ("a</w>", "<|endoftext|>"), if present.
    std::optional<std::int64_t> token_id(const std::string& token) const;
    std::int64_t start_token() const { return start_token_; }
    std::int64_t end_token() const { return end_token_; }
    std::int64_t vocabulary_size() const;

    ~ClipTokenizer();
    ClipTokenizer(ClipTokenizer&&) noexcept;
    ClipTokenizer& operator=(ClipTokenizer&&) noexcept;

private:
    struct Tables;
    explicit ClipTokenizer(std::unique_ptr<Tables> tables);
    std::vector<std::string> byte_pair_merge(const std::string& word) const;

    std::unique_ptr<Tables> tables_;
    std::int64_t start_token_ = 0;
    std::int64_t end_token_ = 0;
};

// The text normalisation encode() applies before splitting (exposed for tests).
std::string clean_clip_text(std::string_view text);
// The pre-split words of already cleaned text (exposed for tests).
std::vector<std::string> split_clip_words(std::string_view cleaned_text);

}  // namespace corral::models
