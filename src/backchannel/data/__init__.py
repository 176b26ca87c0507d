"""Datasets and institutional rules shared by the importers, the models and the backtests.

* :mod:`.deu`: the DEU issue-table loader (EU legislative negotiations);
* :mod:`.council`: Council of the EU voting rules by treaty period, with their sources;
* :mod:`.power`: exact Shapley-Shubik and Banzhaf indices of weighted and double-majority
  games;
* :mod:`.capability`: capabilities of the DEU actors (power in the legislative game).

Nothing here imports from ``scenario`` (beyond its array types and errors), ``models`` or
``validation``, so importers and backtests can both build on it.
"""
