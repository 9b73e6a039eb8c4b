#include "project_locations.h"

#include <QCoreApplication>
#include <QStandardPaths>

namespace corral::ui {

QString default_projects_folder() {
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QLatin1Char('/') +
           QCoreApplication::applicationName() + QStringLiteral("/projects");
}

}  // namespace corral::ui
