"""The answering evaluation set: sample catalogues, doctor questions and their scoring."""
