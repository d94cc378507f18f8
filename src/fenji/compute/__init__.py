"""Privacy computing: joint answers across organisations without handing over the data.

- ``psi``: private set intersection of identifiers between two parties (OpenMined PSI, ECDH).
- ``stats``: joint count, sum, mean, variance and histogram over N >= 3 parties (MPyC).
- ``fedlearn``: horizontal federated logistic regression with MPC-summed updates (MPyC).
- ``disclosure``: minimum group size and secondary suppression.
- ``audit``: the per-run record each party keeps (PIPL Art. 69).
- ``normalize``, ``io``, ``wire``, ``mpc``, ``certs``, ``report``: the plumbing.

Modules are imported on use: the protocol libraries load native code plain scans never need.
"""
