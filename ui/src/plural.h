#pragma once
// English counts without a translation file: Qt's "%n image(s)" needs a .qm to read "3 images".
#include <QLocale>
#include <QString>

namespace corral::ui {

// `one` and `many` hold %1 for the number: count_text(3, "%1 image", "%1 images") = "3 images".
inline QString count_text(qint64 n, const QString& one, const QString& many) {
    return (n == 1 ? one : many).arg(QLocale().toString(n));
}

}  // namespace corral::ui
