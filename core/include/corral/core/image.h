#pragma once
// A decoded image in memory: 8-bit, row-major, interleaved channels (1 = grey, 3 = RGB).
#include <cstdint>
#include <vector>

namespace corral {

struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;  // 1 (grey) or 3 (RGB, in that order)
    std::vector<std::uint8_t> pixels;  // height * width * channels bytes

    bool empty() const { return pixels.empty(); }
    std::uint8_t at(int y, int x, int channel) const {
        return pixels[(static_cast<std::size_t>(y) * width + x) * channels + channel];
    }
};

}  // namespace corral
