#ifndef SANI_COPENBLAS_SHIM_H
#define SANI_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
