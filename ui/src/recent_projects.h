#pragma once
// The recent-projects list, kept in QSettings (newest first, at most eight). A project enters
// it once it has opened; one that no longer opens is taken off (the caller says so to the user).
#include <QString>
#include <QStringList>

namespace corral::ui::recent_projects {

inline constexpr int kMaximum = 8;

QStringList folders();
void add(const QString& folder);
// Returns whether the folder was listed.
bool remove(const QString& folder);
// Takes off the folders that no longer exist; returns them.
QStringList remove_missing();

}  // namespace corral::ui::recent_projects
