#pragma once
// Registers the icons and other Qt resources of the ui library (idempotent).
namespace corral::ui {
void initialize_resources();
}
