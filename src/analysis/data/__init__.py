"""Data in and out: the contract, reading and validating datasets, the DuckDB engine, the CRM
importer and the sample generator.

The flow: `contract` says what a dataset holds; `decode` reads table files as they are;
`validate` checks them against the contract in pandas (or `pushdown`, in place in DuckDB, for big
Parquet datasets); `dataset.load_dataset` ties these together and caches the result (`cache`);
`write` writes datasets; `engine` runs SQL over a dataset's tables; `importer` and `mapping` turn
CRM exports into a dataset; `synth` generates the sample company.

>>> from analysis.data import load_dataset
>>> load_dataset.__module__
'analysis.data.dataset'
"""

from analysis.data.dataset import Dataset, load_dataset
from analysis.data.validate import DataValidationError, Issue
from analysis.data.write import write_dataset

__all__ = ["Dataset", "DataValidationError", "Issue", "load_dataset", "write_dataset"]
