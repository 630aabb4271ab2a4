// The container's terminal (console.cc).
#pragma once
#include "plan_decode.h"

// Creates a pty in the container's devpts, binds its slave onto /dev/console
// and sends the master to the console socket. Returns the slave fd, kept
// (close-on-exec) until console_attach.
int console_setup(const plan* p, int rootfd);
// Just before exec: new session, slave as controlling terminal and stdio.
void console_attach(int slave);
