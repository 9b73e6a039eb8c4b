#include "guard.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <filesystem>
#include <new>
#include <string>
#include <system_error>

#include "corral/models/convnet_checkpoint.h"
#include "corral/models/model_error.h"

namespace corral::detail {
namespace {

ErrorCode code_of(models::ModelErrorKind kind) {
    switch (kind) {
        case models::ModelErrorKind::missing: return ErrorCode::not_found;
        case models::ModelErrorKind::corrupt: return ErrorCode::corrupt_data;
        case models::ModelErrorKind::unsupported: return ErrorCode::unsupported;
        case models::ModelErrorKind::io: return ErrorCode::io_error;
    }
    return ErrorCode::internal;
}

ErrorCode code_of(const models::CheckpointError& error) {
    switch (error.kind()) {
        case models::CheckpointError::Kind::not_found: return ErrorCode::not_found;
        case models::CheckpointError::Kind::io_error: return ErrorCode::io_error;
        case models::CheckpointError::Kind::corrupt: break;
    }
    return std::string_view(error.what()).find("newer Corral") != std::string_view::npos ? ErrorCode::version_too_new
                                                                                           : ErrorCode::corrupt_data;
}

}  // namespace

Error error_from_current_exception(std::string_view context) {
    const std::string where = context.empty() ? std::string() : std::string(context) + ": ";
    const std::string memory = "not enough memory for this input";
    try {
        throw;
    } catch (const models::ModelError& error) {
        // Model errors already name the file and the fault.
        return make_error(code_of(error.kind()), error.what());
    } catch (const models::CheckpointError& error) {
        return make_error(code_of(error), error.what());
    } catch (const c10::OutOfMemoryError& error) {
        return make_error(ErrorCode::out_of_memory, where + memory + " (" + error.what_without_backtrace() + ")");
    } catch (const c10::Error& error) {
        // what() carries a C++ backtrace that says nothing to a user.
        return make_error(ErrorCode::internal, where + error.what_without_backtrace());
    } catch (const cv::Exception& error) {
        if (error.code == cv::Error::StsNoMem) {
            return make_error(ErrorCode::out_of_memory, where + memory + " (OpenCV: " + error.err + ")");
        }
        return make_error(ErrorCode::internal, where + "OpenCV: " + error.err + (error.func.empty() ? "" : " in " + error.func));
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::out_of_memory, where + memory);
    } catch (const std::filesystem::filesystem_error& error) {
        return make_error(ErrorCode::io_error, where + error.what());
    } catch (const std::system_error& error) {
        return make_error(ErrorCode::io_error, where + error.what());
    } catch (const nlohmann::json::exception& error) {
        return make_error(ErrorCode::internal, where + "JSON: " + error.what());
    } catch (const std::exception& error) {
        return make_error(ErrorCode::internal, where + error.what());
    } catch (...) {
        return make_error(ErrorCode::internal, where + "unknown exception");
    }
}

}  // namespace corral::detail
