#include <QtGlobal>

#include "resources.h"

// Resources compiled into a static library are not registered automatically; the macro must be
// expanded outside any namespace.
static void initialize_corral_resources() { Q_INIT_RESOURCE(corral); }

namespace corral::ui {

void initialize_resources() {
    static const bool done = [] {
        initialize_corral_resources();
        return true;
    }();
    (void)done;
}

}  // namespace corral::ui
