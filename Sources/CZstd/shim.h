// libzstd, from Debian's libzstd-dev. The static-linking section is included for the buffer-less
// decompression API (ZSTD_decompressBegin/ZSTD_decompressContinue, ZSTD_getFrameHeader), which
// the shared library exports.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>
