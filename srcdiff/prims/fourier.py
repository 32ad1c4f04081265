"""numpy.fft on real inputs."""
