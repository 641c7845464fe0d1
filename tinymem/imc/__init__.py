"""In-memory-computing backend: resistive crossbar simulator, liquid state machines, event encoders.

Modules, each named after what it exports:
  device          Device: conductance window, noise, drift, faults, DAC/ADC settings (all seeded)
  crossbar        Crossbar: differential conductance pairs on R x C tiles, DAC/ADC, drift, energy counts
  crossbar_layer  CrossbarLayer: an int8 FullyConnected/Conv weight matrix on tiles -> int32 accumulators
  crossbar_backend CrossbarBackend: a compiled model's FC/Conv accumulations on crossbars (interpreter matmul)
  verify_rram     verify_rram: `tinymem verify MODEL --backend rram`, crossbar vs digital int8
  energy          EnergyModel, EnergyCounts: per cell read / DAC / ADC / digital op energy, MCU estimate
  lsm             LSM: LIF reservoir whose weights are the device's random conductances
  readout         SoftmaxReadout, MLPReadout: trainable digital readouts on firing rates
  contrastive     ContrastiveHeads: CLIP-style projection heads, zero-shot retrieval
  mnist, fsdd     loaders for the MNIST test set (IDX) and the Free Spoken Digit Dataset (WAV)
  nmnist          read_nmnist / write_nmnist: the N-MNIST binary event format
  events_image    saccade DVS events from images (N-MNIST style), binned spike frames
  events_audio    64-channel cochlear filterbank spikes from audio (N-TIDIGITS style)
  experiment      run_experiments(config): the acceptance experiments, results dict
  sweep           noise sweep (programming noise, ADC bits, stuck-at rate, drift time)
  plots           PNG figures (matplotlib, optional extra)
  cli             `tinymem imc run CONFIG`; the options and report of `verify --backend rram`
"""
