#pragma once
// Where Corral keeps projects unless told otherwise: one folder, computed here only.
#include <QString>

namespace corral::ui {

// <GenericDataLocation>/<application name>/projects: ~/.local/share/Corral/projects on Linux,
// ~/Library/Application Support/Corral/projects on macOS, %LOCALAPPDATA%/Corral/projects on
// Windows. Not AppDataLocation, which appends the organization name as well and, both names
// being "Corral", made ~/.local/share/Corral/Corral/projects. Projects made there before stay
// where they are: the recent list and File → Open find them by their full path.
QString default_projects_folder();

}  // namespace corral::ui
