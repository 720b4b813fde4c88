import SaniEngine
OpenBLASRuntime.ensureOptimalKernels()
print(OpenBLASRuntime.coreName)
