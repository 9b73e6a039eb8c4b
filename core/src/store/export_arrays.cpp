// Exporting a project's arrays for analysis tools: embeddings, the 2-D map and the value scores
// of the query rounds, as .npy or CSV (see project_export.h).
#include <bit>
#include <cstdio>
#include <cstring>
#include <span>
#include <utility>

#include "corral/core/project_export.h"
#include "guard.h"
#include "store/export_support.h"
#include "store/stored_file.h"

namespace corral {
namespace {

namespace fs = std::filesystem;

// An array in memory as the exports write it: row-major float32 or float64.
struct Table {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    FloatMatrix floats;           // used when !wide (embeddings stay a mapping of the project file)
    std::vector<double> doubles;  // used when wide
    bool wide = false;
    std::vector<std::string> column_names;
    std::string description;
};

// NumPy's format 1.0: magic, version, little-endian header length, then a Python dict literal
// padded with spaces to a multiple of 64 bytes (ending in '\n'), then the C-order data.
std::string npy_header(const char* descr, std::int64_t rows, std::int64_t cols) {
    std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + std::to_string(rows) +
                       ", " + std::to_string(cols) + "), }";
    const std::size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    const auto length = static_cast<std::uint16_t>(dict.size());
    std::string header = "\x93NUMPY";
    header += '\x01';
    header += '\x00';
    header += static_cast<char>(length & 0xff);
    header += static_cast<char>(length >> 8);
    return header + dict;
}

Status write_npy(const fs::path& path, const Table& table) {
    static_assert(std::endian::native == std::endian::little, ".npy files are written little-endian ('<f4', '<f8')");
    const std::string header = npy_header(table.wide ? "<f8" : "<f4", table.rows, table.cols);
    const auto payload = table.wide ? std::as_bytes(std::span(table.doubles)) : std::as_bytes(table.floats.values());
    auto written = store::write_file_atomically(path, {std::as_bytes(std::span(header.data(), header.size())), payload});
    if (!written) return written.error();
    return ok();
}

std::string number_text(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}

// CSV with `index,path` first when the rows are images; the values follow.
Status write_csv(const fs::path& path, const Table& table, const std::vector<ImageRecord>& images, int image_column,
                 const JobContext& job) {
    std::string text;
    for (std::size_t c = 0; c < table.column_names.size(); ++c) {
        text += (c ? "," : "") + table.column_names[c];
        if (static_cast<int>(c) == image_column) text += ",path";
    }
    text += "\n";
    for (std::int64_t r = 0; r < table.rows; ++r) {
        if (r % 4096 == 0 && job.stop_requested()) return cancelled_error();
        for (std::int64_t c = 0; c < table.cols; ++c) {
            const std::size_t at = static_cast<std::size_t>(r * table.cols + c);
            const double value = table.wide ? table.doubles[at] : table.floats.values()[at];
            text += (c ? "," : "") + number_text(value);
            if (c == image_column) {
                const auto image = static_cast<std::int64_t>(value);
                const bool known = image >= 0 && image < static_cast<std::int64_t>(images.size());
                const auto& record = known ? images[static_cast<std::size_t>(image)] : ImageRecord{};
                text += "," + store::csv_field(record.packed ? record.name : record.file);
            }
        }
        text += "\n";
    }
    return store::write_text_file(path, text);
}

Expected<std::string> chosen_encoder(const Project& project, const std::optional<std::string>& requested) {
    auto encoders = project.encoders();
    if (!encoders) return encoders.error();
    std::string known;
    for (const auto& encoder : *encoders) known += (known.empty() ? "" : ", ") + encoder.encoder_id;
    if (encoders->empty()) return make_error(ErrorCode::not_found, "the project has no stored embeddings");
    if (requested) {
        for (const auto& encoder : *encoders) {
            if (encoder.encoder_id == *requested) return *requested;
        }
        return make_error(ErrorCode::not_found, "no stored embeddings for encoder " + *requested + " (have: " + known + ")");
    }
    auto current = project.current_clustering_id();
    if (current && *current) {
        auto clustering = project.clustering(**current);
        if (clustering) {
            for (const auto& encoder : *encoders) {
                if (encoder.encoder_id == clustering->encoder_id) return encoder.encoder_id;
            }
        }
    }
    if (encoders->size() == 1) return encoders->front().encoder_id;
    return make_error(ErrorCode::invalid_argument, "the project stores embeddings of several encoders; name one (" + known + ")");
}

Expected<Table> embeddings_table(const Project& project, const ArrayExportOptions& options) {
    auto encoder = chosen_encoder(project, options.encoder_id);
    if (!encoder) return encoder.error();
    auto features = project.load_embeddings(*encoder);
    if (!features) return features.error();
    Table table;
    table.rows = features->rows();
    table.cols = features->cols();
    table.floats = std::move(*features);
    table.description = "embeddings of " + *encoder;
    return table;
}

Expected<Table> map_table(const Project& project, const ArrayExportOptions& options) {
    auto layout = project.load_map(options.map_name);
    if (!layout) {
        if (layout.error().code == ErrorCode::not_found) {
            return make_error(ErrorCode::not_found, "the project has no map yet (make one in the Map tab or with corral-cli map --project)");
        }
        return layout.error();
    }
    Table table;
    table.rows = layout->rows();
    table.cols = layout->cols();
    table.floats = std::move(*layout);
    table.description = "the map '" + options.map_name + "'";
    return table;
}

Expected<Table> values_table(const Project& project) {
    auto rounds = project.rounds();
    if (!rounds) return rounds.error();
    Table table;
    table.wide = true;
    table.cols = 4;
    for (const auto& round : *rounds) {
        for (std::size_t position = 0; position < round.samples.size(); ++position) {
            const auto& sample = round.samples[position];
            table.doubles.insert(table.doubles.end(), {static_cast<double>(round.id), static_cast<double>(position),
                                                       static_cast<double>(sample.sample), sample.value_score});
            ++table.rows;
        }
    }
    table.description = "value scores of " + std::to_string(rounds->size()) + " query rounds";
    return table;
}

Expected<ArrayExportReport> export_array_unguarded(const Project& project, const ArrayExportOptions& options,
                                                   const JobContext& job) {
    if (options.format != ExportFormat::npy && options.format != ExportFormat::csv) {
        return make_error(ErrorCode::invalid_argument, "embeddings, maps and values are exported as npy or csv");
    }
    if (auto allowed = check_export_target(project, options.output, false, options.overwrite); !allowed) {
        return allowed.error();
    }
    Expected<Table> table = Table{};
    int image_column = -1;
    switch (options.content) {
        case ArrayContent::embeddings: table = embeddings_table(project, options); break;
        case ArrayContent::map: table = map_table(project, options); break;
        case ArrayContent::values: table = values_table(project); break;
    }
    if (!table) return table.error();
    job.report(0.5, "exporting " + table->description);
    if (options.format == ExportFormat::npy) {
        if (auto written = write_npy(options.output, *table); !written) return written.error();
    } else {
        auto images = project.images();
        if (!images) return images.error();
        if (options.content == ArrayContent::values) {
            table->column_names = {"round", "position", "index", "value_score"};
            image_column = 2;
        } else {
            // The rows are the project's images in order: the index column comes first.
            Table indexed;
            indexed.rows = table->rows;
            indexed.cols = table->cols + 1;
            indexed.wide = true;
            indexed.description = table->description;
            indexed.doubles.reserve(static_cast<std::size_t>(indexed.rows * indexed.cols));
            for (std::int64_t r = 0; r < table->rows; ++r) {
                indexed.doubles.push_back(static_cast<double>(r));
                for (std::int64_t c = 0; c < table->cols; ++c) {
                    indexed.doubles.push_back(std::as_const(table->floats)(r, c));
                }
            }
            indexed.column_names = {"index"};
            if (options.content == ArrayContent::map) {
                indexed.column_names.insert(indexed.column_names.end(), {"x", "y"});
            } else {
                for (std::int64_t c = 0; c < table->cols; ++c) indexed.column_names.push_back("f" + std::to_string(c));
            }
            image_column = 0;
            table = std::move(indexed);
        }
        if (auto written = write_csv(options.output, *table, *images, image_column, job); !written) return written.error();
    }
    job.report(1.0, "exported " + table->description);
    const std::int64_t cols = options.format == ExportFormat::csv && options.content != ArrayContent::values ? table->cols - 1
                                                                                                            : table->cols;
    return ArrayExportReport{table->description, table->rows, cols};
}

}  // namespace

Expected<ArrayContent> parse_array_content(std::string_view text) {
    if (text == "embeddings") return ArrayContent::embeddings;
    if (text == "map") return ArrayContent::map;
    if (text == "values") return ArrayContent::values;
    return make_error(ErrorCode::invalid_argument,
                      "--what is clusters, embeddings, map or values, not '" + std::string(text) + "'");
}

Expected<ArrayExportReport> export_array(const Project& project, const ArrayExportOptions& options, const JobContext& job) {
    return detail::guarded("export to " + options.output.string(),
                           [&] { return export_array_unguarded(project, options, job); });
}

}  // namespace corral
