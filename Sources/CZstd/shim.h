// libzstd, from Debian's libzstd-dev.
#include <zstd.h>
