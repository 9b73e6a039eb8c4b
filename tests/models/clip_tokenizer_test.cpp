// The CLIP tokenizer against OpenAI's published ids and against simple_tokenizer.py (ported in
// tests/oracles/clip_tokenizer_reference.py), on the real vocabulary in shared/data/clip.
#include <catch2/catch.hpp>

#include "corral/models/clip_tokenizer.h"
#include "corral/models/model_error.h"
#include "test_support.h"

using namespace corral;
using corral::models::ClipTokenizer;

namespace {

std::filesystem::path archive_path() { return testing::shared_dir() / "data" / "clip" / "bpe_simple_vocab_16e6.txt.gz"; }

const ClipTokenizer& archive_tokenizer() {
    static const ClipTokenizer tokenizer = ClipTokenizer::from_bpe_archive(archive_path());
    return tokenizer;
}

std::vector<std::int64_t> with_specials(const ClipTokenizer& tokenizer, const std::string& text) {
    std::vector<std::int64_t> ids{tokenizer.start_token()};
    for (auto id : tokenizer.encode(text)) ids.push_back(id);
    ids.push_back(tokenizer.end_token());
    return ids;
}

const std::vector<std::string> kSentences = {
    "a diagram", "a dog", "a cat", "A photo of a DOG's favourite toy!!", "naïve café résumé",
    "Straße in İstanbul", "3.14159 is pi, 1000000 is a million", "hello   world\t and\v more \u2003 end",
    "emoji 🐶🐱 time 👍🏽", "it's we're they've I'm you'll he'd 'tis", "<|startoftext|>hi<|endoftext|>",
    "日本語のテキストです", "a &amp; b &lt;c&gt; &#233;t&#xE9;", "x_y z__ snake_case_name",
    "über-cool --- stuff... (really?) [yes] {no}", "Ünïcödé ÇÃPS", "a photo of a red fruit with the color of *",
    "супер кот", "مرحبا بالعالم", "don’t “quote” me", "tab\u00a0nbsp", "ªº ǅ ʰ",
};

}  // namespace

TEST_CASE("CLIP tokenizer gives OpenAI's ids for known words", "[unit][clip]") {
    const auto& tokenizer = archive_tokenizer();
    CHECK(tokenizer.vocabulary_size() == 49408);
    CHECK(tokenizer.start_token() == 49406);
    CHECK(tokenizer.end_token() == 49407);
    CHECK(with_specials(tokenizer, "a diagram") == std::vector<std::int64_t>{49406, 320, 22697, 49407});
    CHECK(with_specials(tokenizer, "a dog") == std::vector<std::int64_t>{49406, 320, 1929, 49407});
    CHECK(with_specials(tokenizer, "a cat") == std::vector<std::int64_t>{49406, 320, 2368, 49407});
    CHECK(with_specials(tokenizer, "A   DOG ") == std::vector<std::int64_t>{49406, 320, 1929, 49407});
    CHECK(tokenizer.token_id("a</w>") == 320);
    CHECK(tokenizer.token_id("!") == 0);  // bytes_to_unicode order: '!' is the first symbol
    CHECK_FALSE(tokenizer.token_id("not-a-token</w>").has_value());
}

TEST_CASE("CLIP text cleaning and pre-split follow simple_tokenizer's pattern", "[unit][clip]") {
    CHECK(models::clean_clip_text("  Hello\t\tWORLD \n") == "hello world");
    CHECK(models::clean_clip_text("a &amp;amp; b") == "a & b");  // unescaped twice, as basic_clean
    CHECK(models::split_clip_words("it's a dog's 3.5kg toy!!") ==
          std::vector<std::string>{"it", "'s", "a", "dog", "'s", "3", ".", "5", "kg", "toy", "!!"});
    CHECK(models::split_clip_words("x<|endoftext|>") == std::vector<std::string>{"x", "<|endoftext|>"});
}

TEST_CASE("CLIP tokenize pads, marks the end token and truncates to the context", "[unit][clip]") {
    const auto& tokenizer = archive_tokenizer();
    std::string long_text;
    for (int i = 0; i < 100; ++i) long_text += "dog ";
    const auto batch = tokenizer.tokenize({"a dog", long_text});
    REQUIRE(batch.ids.sizes() == torch::IntArrayRef({2, 77}));
    CHECK(batch.end_positions == std::vector<std::int64_t>{3, 76});
    CHECK(batch.truncated == std::vector<bool>{false, true});
    CHECK(batch.ids[0][3].item<std::int64_t>() == 49407);
    CHECK(batch.ids[0][4].item<std::int64_t>() == 0);
    CHECK(batch.ids[1][75].item<std::int64_t>() == 1929);
    CHECK(batch.ids[1][76].item<std::int64_t>() == 49407);
}

TEST_CASE("CLIP tokenizer matches simple_tokenizer.py from both vocabulary layouts", "[unit][clip]") {
    testing::TempDir folder;
    std::string sentences;
    for (const auto& sentence : kSentences) sentences += sentence + "\n";
    testing::write_file(folder / "sentences.txt", sentences);
    const std::string output = testing::run_python_oracle(
        "clip_tokenizer_reference.py", {archive_path().string(), folder.path().string(), (folder / "sentences.txt").string()});
    std::istringstream lines(output);
    const auto from_json = ClipTokenizer::from_folder(folder.path());  // vocab.json + merges.txt written by the oracle
    CHECK(from_json.vocabulary_size() == 49408);
    for (const auto& sentence : kSentences) {
        std::string line;
        REQUIRE(std::getline(lines, line));
        std::vector<std::int64_t> expected;
        for (double id : testing::parse_doubles(line)) expected.push_back(static_cast<std::int64_t>(id));
        INFO(sentence);
        CHECK(with_specials(archive_tokenizer(), sentence) == expected);
        CHECK(with_specials(from_json, sentence) == expected);
    }
}

TEST_CASE("CLIP tokenizer loaders name the missing or damaged file", "[unit][clip]") {
    testing::TempDir folder;
    try {
        (void)ClipTokenizer::from_folder(folder.path());
        FAIL("an empty folder has no tokenizer");
    } catch (const models::ModelError& error) {
        CHECK(error.kind() == models::ModelErrorKind::missing);
        CHECK_THAT(error.what(), Catch::Contains("vocab.json") && Catch::Contains("merges.txt"));
    }
    testing::write_file(folder / "vocab.json", "{\"a\": 1,");
    testing::write_file(folder / "merges.txt", "#version: 0.2\na b\n");
    try {
        (void)ClipTokenizer::from_folder(folder.path());
        FAIL("truncated JSON is refused");
    } catch (const models::ModelError& error) {
        CHECK(error.kind() == models::ModelErrorKind::corrupt);
        CHECK_THAT(error.what(), Catch::Contains("vocab.json"));
    }
    testing::write_file(folder / "vocab.json", "{\"a\": 1}");
    CHECK_THROWS_AS(ClipTokenizer::from_folder(folder.path()), models::ModelError);  // no special tokens
    testing::write_file(folder / "bad.gz", "not gzip at all, and short");
    CHECK_THROWS_AS(ClipTokenizer::from_bpe_archive(folder / "bad.gz"), models::ModelError);
}
