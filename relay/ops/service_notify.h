// systemd service notifications (sd_notify, libsystemd): READY, RELOADING, STOPPING, STATUS.
// Each call is a no-op when the relay was not started by systemd with Type=notify.
#pragma once

#include <string>

namespace msrp::relay {

/// Startup finished: listeners are bound. `status` is a one-line human-readable state.
void NotifyReady(const std::string& status);
/// A SIGHUP reload started; NotifyReady follows when it ends (applied or refused).
void NotifyReloading();
/// Shutdown started (draining).
void NotifyStopping(const std::string& status);
/// Updates the one-line status shown by `systemctl status`.
void NotifyStatus(const std::string& status);

}  // namespace msrp::relay
