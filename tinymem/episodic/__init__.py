"""Episodic memory head (`--memory-head knn`): few-shot classes added on the device by storing
embeddings with labels and classifying by nearest neighbour. See docs/params.md.

  add_memory_head(graph, "knn", ...)  compile-time pass + code (tinymem/episodic/head.py)
  EpisodicMemory                      numpy reference, bit-exact with the C (reference.py)
  run_memory_host(out, commands)      drive the generated host harness main_memory.c (harness.py)
"""

from tinymem.episodic.harness import run_memory_host
from tinymem.episodic.head import add_memory_head
from tinymem.episodic.reference import EpisodicMemory, distances

__all__ = ["add_memory_head", "EpisodicMemory", "distances", "run_memory_host"]
