"""Statistics: np.average, np.ptp, the nan reductions, np.sort and np.partition, np.median,
np.percentile and np.quantile."""
