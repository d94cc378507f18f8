"""Privacy computing: joint answers across organisations without handing over the data.

- ``psi``: private set intersection of identifiers between two parties (OpenMined PSI, ECDH).
- ``psi_spu``: the same on SecretFlow's spu (optional extra: RR22, KKRT, ECDH incl. SM2), run
  in a child process by ``spu_worker``.
- ``stats``: joint count, sum, mean, variance and histogram over N >= 3 parties (MPyC).
- ``fedlearn``: horizontal federated logistic regression with MPC-summed updates (MPyC).
- ``disclosure``: minimum group size and secondary suppression.
- ``audit``: the per-run record each party keeps (PIPL Art. 69).
- ``normalize``, ``io``, ``wire``, ``mpc``, ``certs``, ``report``: the plumbing.

Modules are imported on use: the protocol libraries load native code plain scans never need.
"""
