#include "recent_projects.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace corral::ui::recent_projects {
namespace {

const QString kKey = QStringLiteral("recent/projects");

QString normalised(const QString& folder) { return QDir::cleanPath(QFileInfo(folder).absoluteFilePath()); }

}  // namespace

QStringList folders() { return QSettings().value(kKey).toStringList(); }

void add(const QString& folder) {
    const QString path = normalised(folder);
    QStringList list = folders();
    list.removeAll(path);
    list.prepend(path);
    while (list.size() > kMaximum) list.removeLast();
    QSettings().setValue(kKey, list);
}

bool remove(const QString& folder) {
    QStringList list = folders();
    const bool listed = list.removeAll(folder) + list.removeAll(normalised(folder)) > 0;
    if (listed) QSettings().setValue(kKey, list);
    return listed;
}

QStringList remove_missing() {
    QStringList kept, missing;
    for (const QString& folder : folders()) (QFileInfo::exists(folder) ? kept : missing) << folder;
    if (!missing.isEmpty()) QSettings().setValue(kKey, kept);
    return missing;
}

}  // namespace corral::ui::recent_projects
