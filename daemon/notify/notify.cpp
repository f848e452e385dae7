#include "notify/notify.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace pw::notify {
namespace {

std::string OneLine(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        if (c == '\n' || c == '\r') c = ' ';
    return out;
}

void Send(const std::string& message) { sd_notify(0, message.c_str()); }

}  // namespace

void Notifier::ready(std::string_view status) const { Send("READY=1\nSTATUS=" + OneLine(status)); }

void Notifier::reloading() const { Send("RELOADING=1"); }

void Notifier::stopping() const { Send("STOPPING=1"); }

void Notifier::status(std::string_view line) const { Send("STATUS=" + OneLine(line)); }

void Notifier::watchdog() const { Send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> Notifier::watchdog_interval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(usec / 2);
}

}  // namespace pw::notify
