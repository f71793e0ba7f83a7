// sd_notify wrappers.
#include "relay/ops/service_notify.h"

#include <systemd/sd-daemon.h>

namespace msrp::relay {

void NotifyReady(const std::string& status) { sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str()); }
void NotifyReloading() { sd_notify(0, "RELOADING=1\nSTATUS=reloading"); }
void NotifyStopping(const std::string& status) { sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status.c_str()); }
void NotifyStatus(const std::string& status) { sd_notifyf(0, "STATUS=%s", status.c_str()); }

}  // namespace msrp::relay
