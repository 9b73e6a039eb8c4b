// The safetensors reader: round trips, each kind of damaged file refused with a message that
// says what is wrong, and thousands of corrupted variants that must fail cleanly or read sanely.
#include <catch2/catch.hpp>

#include <cstring>
#include <cctype>
#include <random>

#include "corral/models/model_error.h"
#include "corral/models/safetensors.h"
#include "test_support.h"

using namespace corral;
using models::ModelError;
using models::SafetensorsFile;

namespace {

std::map<std::string, torch::Tensor> sample_tensors() {
    torch::manual_seed(7);
    return {{"weight", torch::randn({3, 4})},
            {"half", torch::randn({5}).to(torch::kFloat16)},
            {"brain", torch::randn({2, 3}).to(torch::kBFloat16)},
            {"ids", torch::arange(6, torch::kInt64).reshape({2, 3})},
            {"flags", torch::tensor({1, 0, 1}, torch::kUInt8).to(torch::kBool)},
            {"scalar", torch::tensor(2.5, torch::kFloat64)},
            {"empty", torch::zeros({0, 4})}};
}

// A file from an explicit header (padded to 8 bytes, as writers do) and data area, for hand-made faults.
std::string make_file(std::string header, const std::string& data, std::uint64_t claimed_length = UINT64_MAX) {
    header.append((8 - header.size() % 8) % 8, ' ');
    const std::uint64_t length = claimed_length == UINT64_MAX ? header.size() : claimed_length;
    std::string bytes(8, '\0');
    std::memcpy(bytes.data(), &length, 8);
    return bytes + header + data;
}

std::string refusal(const std::string& bytes) {
    try {
        (void)SafetensorsFile::parse(bytes, "test.safetensors");
    } catch (const ModelError& error) {
        CHECK(error.kind() == models::ModelErrorKind::corrupt);
        return error.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("safetensors round-trips every dtype through a file", "[unit][safetensors]") {
    testing::TempDir folder;
    const auto tensors = sample_tensors();
    models::write_safetensors(folder / "t.safetensors", tensors, {{"format", "pt"}});
    const auto file = SafetensorsFile::open(folder / "t.safetensors");
    CHECK(file.metadata().at("format") == "pt");
    CHECK(file.entries().size() == tensors.size());
    for (const auto& [name, tensor] : tensors) {
        INFO(name);
        const auto read = file.tensor(name);
        CHECK(read.scalar_type() == tensor.scalar_type());
        CHECK(read.sizes() == tensor.sizes());
        CHECK(torch::equal(read, tensor));
    }
    CHECK(file.entries().at("weight").dtype == "F32");
    CHECK(file.entries().at("brain").dtype == "BF16");
    try {
        (void)file.tensor("absent");
        FAIL("an absent tensor is an error");
    } catch (const ModelError& error) {
        CHECK(error.kind() == models::ModelErrorKind::missing);
    }
    try {
        (void)SafetensorsFile::open(folder / "no-such.safetensors");
        FAIL("a missing file is an error");
    } catch (const ModelError& error) {
        CHECK(error.kind() == models::ModelErrorKind::missing);
        CHECK_THAT(error.what(), Catch::Contains("no-such.safetensors"));
    }
}

TEST_CASE("safetensors refuses each kind of damaged file with a clear message", "[unit][safetensors]") {
    const std::string data(16, '\0');
    const std::string good = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
    CHECK(refusal(make_file(good, data)) == "accepted");
    CHECK_THAT(refusal("abc"), Catch::Contains("too short"));
    CHECK_THAT(refusal(make_file(good, data, 1ull << 40)), Catch::Contains("100 MB limit"));
    CHECK_THAT(refusal(make_file(good, data, 200)), Catch::Contains("runs past the end"));
    CHECK_THAT(refusal(make_file(good, data.substr(0, 12))), Catch::Contains("ends at byte 16"));
    CHECK_THAT(refusal(make_file(good, data + "xx")), Catch::Contains("beyond the last tensor"));
    CHECK_THAT(refusal(make_file(good.substr(0, good.size() - 1), data)), Catch::Contains("not valid JSON"));
    CHECK_THAT(refusal(make_file("[1,2]", data)), Catch::Contains("start with '{'"));
    CHECK_THAT(refusal(make_file(R"({"a":{"dtype":"F33","shape":[4],"data_offsets":[0,16]}})", data)),
               Catch::Contains("unknown dtype 'F33'"));
    CHECK_THAT(refusal(make_file(R"({"a":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}})", data)),
               Catch::Contains("need 20"));
    CHECK_THAT(refusal(make_file(R"({"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", data)),
               Catch::Contains("not a non-negative integer"));
    CHECK_THAT(refusal(make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}})", data)),
               Catch::Contains("too large"));
    CHECK_THAT(refusal(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", data)),
               Catch::Contains("overlaps"));
    CHECK_THAT(refusal(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", data)),
               Catch::Contains("gap of 8 bytes"));
    CHECK_THAT(refusal(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[16,8]}})", data)),
               Catch::Contains("end before they begin"));
    CHECK_THAT(refusal(make_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"F32","shape":[3],"data_offsets":[2,14]},"c":{"dtype":"U8","shape":[2],"data_offsets":[14,16]}})", data)),
               Catch::Contains("not aligned"));
    CHECK_THAT(refusal(make_file(R"({"a":{"dtype":"F32","shape":[4]}})", data)), Catch::Contains("data_offsets"));
    CHECK_THAT(refusal(make_file(R"({"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", data)),
               Catch::Contains("__metadata__.k"));
}

TEST_CASE("safetensors survives thousands of corrupted files", "[unit][safetensors]") {
    const std::string valid = models::serialize_safetensors(sample_tensors(), {{"format", "pt"}});
    std::uint64_t header_length = 0;
    std::memcpy(&header_length, valid.data(), 8);
    std::mt19937_64 random(42);
    auto pick = [&](std::uint64_t bound) { return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(random); };
    int accepted = 0;
    int refused = 0;
    constexpr int kVariants = 6000;
    for (int variant = 0; variant < kVariants; ++variant) {
        std::string bytes = valid;
        switch (variant % 6) {
            case 0: bytes.resize(pick(valid.size())); break;  // truncation
            case 1: {  // a few flipped bits in the length field or header
                for (int flips = 1 + static_cast<int>(pick(3)); flips > 0; --flips) {
                    bytes[pick(8 + header_length)] ^= static_cast<char>(1 << pick(8));
                }
                break;
            }
            case 2: {  // a lying length field
                const std::uint64_t lie = pick(4) == 0 ? random() : header_length + pick(64) - 32;
                std::memcpy(bytes.data(), &lie, 8);
                break;
            }
            case 3: {  // a digit of the header replaced: shapes and offsets that lie
                std::vector<std::size_t> digits;
                for (std::size_t i = 8; i < 8 + header_length; ++i) {
                    if (std::isdigit(static_cast<unsigned char>(bytes[i]))) digits.push_back(i);
                }
                bytes[digits[pick(digits.size())]] = static_cast<char>('0' + pick(10));
                break;
            }
            case 4: bytes += std::string(1 + pick(16), static_cast<char>(pick(256))); break;  // trailing garbage
            case 5: {  // a random header byte replaced by JSON punctuation
                const char punctuation[] = "{}[],:\"- 0";
                bytes[8 + pick(header_length)] = punctuation[pick(sizeof(punctuation) - 1)];
                break;
            }
        }
        try {
            const auto file = SafetensorsFile::parse(std::move(bytes), "fuzz.safetensors");
            for (const auto& [name, entry] : file.entries()) {
                // A flipped letter can turn I16 into U16: valid, but not a dtype LibTorch holds.
                if (entry.dtype[0] == 'U' && entry.dtype != "U8") continue;
                if (entry.dtype.rfind("F8", 0) == 0) continue;
                const auto tensor = file.tensor(name);
                REQUIRE(static_cast<std::uint64_t>(tensor.numel() * tensor.element_size()) == entry.end - entry.begin);
            }
            ++accepted;
        } catch (const ModelError& error) {
            // A refusal must be a corrupt-file verdict (no other kind applies to bytes in memory).
            REQUIRE(error.kind() == models::ModelErrorKind::corrupt);
            ++refused;
        }
    }
    CHECK(accepted + refused == kVariants);
    CHECK(refused > kVariants / 2);
    CHECK(accepted > 0);  // some flips (inside a name, say) leave a valid file
}
