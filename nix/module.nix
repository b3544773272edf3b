# NixOS module: services.raftkv runs one raftkv member as a systemd service.
#
#   imports = [ raftkv.nixosModules.default ];
#   services.raftkv = {
#     enable = true;
#     name = "n1";
#     peers = { n1 = "10.0.0.1:2380"; n2 = "10.0.0.2:2380"; n3 = "10.0.0.3:2380"; };
#     listenClient = "0.0.0.0:2379";
#     listenPeer = "0.0.0.0:2380";
#     advertisePeer = "10.0.0.1:2380";
#     openFirewall = true;
#     # TLS (etcd's flags): clients with certificates, mutual TLS between members.
#     clientTls = { certFile = "/etc/raftkv/tls.crt"; keyFile = "/etc/raftkv/tls.key";
#                   trustedCaFile = "/etc/raftkv/ca.crt"; clientCertAuth = true; };
#     peerTls = { certFile = "/etc/raftkv/tls.crt"; keyFile = "/etc/raftkv/tls.key";
#                 trustedCaFile = "/etc/raftkv/ca.crt"; clientCertAuth = true; };
#     tlsGroup = "raftkv-tls";
#   };
flake:
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.raftkv;
  inherit (lib) mkOption types;
  portOf = hostPort: lib.toInt (lib.last (lib.splitString ":" hostPort));
  hostPort = types.strMatching "[^[:space:]]+:[0-9]+";
  # An absolute path as a string: a Nix path literal would copy a private key into the store.
  filePath = types.nullOr (types.strMatching "/.*");
  # etcd's TLS flags of one port (client: --cert-file ...; peer: --peer-cert-file ...).
  tlsOptions = what: flag: {
    certFile = mkOption {
      type = filePath;
      default = null;
      description = "PEM certificate of the ${what} port (--${flag}cert-file). With keyFile: TLS on.";
    };
    keyFile = mkOption {
      type = filePath;
      default = null;
      description = "PEM private key of certFile (--${flag}key-file).";
    };
    trustedCaFile = mkOption {
      type = filePath;
      default = null;
      description = "PEM CA bundle that signs the other side's certificates (--${flag}trusted-ca-file).";
    };
    clientCertAuth = mkOption {
      type = types.bool;
      default = false;
      description = "Refuse connections without a certificate signed by trustedCaFile (--${flag}client-cert-auth).";
    };
  };
  tlsEnvironment =
    prefix: t:
    lib.optionalAttrs (t.certFile != null) { "RAFTKV_${prefix}CERT_FILE" = t.certFile; }
    // lib.optionalAttrs (t.keyFile != null) { "RAFTKV_${prefix}KEY_FILE" = t.keyFile; }
    // lib.optionalAttrs (t.trustedCaFile != null) { "RAFTKV_${prefix}TRUSTED_CA_FILE" = t.trustedCaFile; }
    # A boolean flag's variable turns it on whatever its value: set it only when true.
    // lib.optionalAttrs t.clientCertAuth { "RAFTKV_${prefix}CLIENT_CERT_AUTH" = "true"; };
in
{
  options.services.raftkv = {
    enable = lib.mkEnableOption "raftkv, a Raft-replicated key-value store speaking the etcd v3 API";

    package = mkOption {
      type = types.package;
      default = flake.packages.${pkgs.stdenv.hostPlatform.system}.raftkv;
      defaultText = lib.literalExpression "raftkv.packages.\${pkgs.stdenv.hostPlatform.system}.raftkv";
      description = "The raftkv package to run.";
    };

    name = mkOption {
      type = types.str;
      default = config.networking.hostName;
      defaultText = lib.literalExpression "config.networking.hostName";
      description = "This member's name, unique in the cluster (--name).";
    };

    peers = mkOption {
      type = types.attrsOf hostPort;
      default = { };
      example = {
        n1 = "10.0.0.1:2380";
        n2 = "10.0.0.2:2380";
        n3 = "10.0.0.3:2380";
      };
      description = "The initial members, this one included: name → peer host:port (--peers). Empty: a single node.";
    };

    clusterToken = mkOption {
      type = types.str;
      default = "raftkv-cluster";
      description = "Distinguishes clusters built from the same member names (--cluster-token).";
    };

    initialClusterState = mkOption {
      type = types.enum [
        "new"
        "existing"
        "auto"
      ];
      default = "new";
      description = ''
        How a member with an empty data dir starts: "new" bootstraps the cluster of `peers`;
        "existing" joins a running cluster it was added to (`raftkv members add NAME --peer-url URL
        --learner`), asking the members in `join`.
      '';
    };

    join = mkOption {
      type = types.listOf hostPort;
      default = [ ];
      description = "Client endpoints of running members to ask when joining (--join).";
    };

    listenClient = mkOption {
      type = hostPort;
      default = "127.0.0.1:2379";
      description = "Client (etcd v3 gRPC) address (--listen-client).";
    };

    listenPeer = mkOption {
      type = hostPort;
      default = "127.0.0.1:2380";
      description = "Peer (Raft) address (--listen-peer).";
    };

    listenMetrics = mkOption {
      type = hostPort;
      default = "127.0.0.1:2381";
      description = "HTTP /metrics, /healthz, /readyz, /livez address (--listen-metrics).";
    };

    advertiseClient = mkOption {
      type = types.nullOr hostPort;
      default = null;
      description = "Client address told to others (default: listenClient).";
    };

    advertisePeer = mkOption {
      type = types.nullOr hostPort;
      default = null;
      description = "Peer address told to others (default: listenPeer).";
    };

    clientTls = tlsOptions "client" "";

    peerTls = tlsOptions "peer" "peer-";

    tlsGroup = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "raftkv-tls";
      description = ''
        A group that may read the certificate and key files: the service runs as a transient user
        (DynamicUser), so the files must be readable by a group it joins. Renewed files are picked
        up without a restart (checked every RAFTKV_TLS_RELOAD_MS, 5 s).
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open the client and peer ports in the firewall.";
    };

    environment = mkOption {
      type = types.attrsOf types.str;
      default = { };
      example = {
        RAFTKV_SNAPSHOT_COUNT = "50000";
        RAFTKV_LOG_LEVEL = "debug";
      };
      description = "More RAFTKV_* variables (every flag of `raftkv --help` has one).";
    };
  };

  config = lib.mkIf cfg.enable {
    systemd.services.raftkv = {
      description = "raftkv key-value store (member ${cfg.name})";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      environment =
        {
          RAFTKV_NAME = cfg.name;
          RAFTKV_DATA_DIR = "/var/lib/raftkv";
          RAFTKV_CLUSTER_TOKEN = cfg.clusterToken;
          RAFTKV_INITIAL_CLUSTER_STATE = cfg.initialClusterState;
          RAFTKV_LISTEN_CLIENT = cfg.listenClient;
          RAFTKV_LISTEN_PEER = cfg.listenPeer;
          RAFTKV_LISTEN_METRICS = cfg.listenMetrics;
          RAFTKV_LOG_FORMAT = "json";
        }
        // lib.optionalAttrs (cfg.peers != { }) {
          RAFTKV_PEERS = lib.concatStringsSep "," (lib.mapAttrsToList (n: u: "${n}=${u}") cfg.peers);
        }
        // lib.optionalAttrs (cfg.join != [ ]) { RAFTKV_JOIN = lib.concatStringsSep "," cfg.join; }
        // lib.optionalAttrs (cfg.advertiseClient != null) { RAFTKV_ADVERTISE_CLIENT = cfg.advertiseClient; }
        // lib.optionalAttrs (cfg.advertisePeer != null) { RAFTKV_ADVERTISE_PEER = cfg.advertisePeer; }
        // tlsEnvironment "" cfg.clientTls
        // tlsEnvironment "PEER_" cfg.peerTls
        // cfg.environment;
      serviceConfig = {
        ExecStart = lib.getExe cfg.package;
        DynamicUser = true;
        StateDirectory = "raftkv";
        StateDirectoryMode = "0700";
        # SIGTERM: hand leadership over, finish requests in flight, close the store.
        KillSignal = "SIGTERM";
        TimeoutStopSec = 60;
        Restart = "on-failure";
        RestartSec = 5;
        # 2: bad flags, 3: data dir of another member or cluster, 4: corrupt store — restarting
        # cannot fix these.
        RestartPreventExitStatus = "2 3 4";
        LimitNOFILE = 65536;
        SupplementaryGroups = lib.optional (cfg.tlsGroup != null) cfg.tlsGroup;
        NoNewPrivileges = true;
        CapabilityBoundingSet = "";
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        RestrictAddressFamilies = [
          "AF_INET"
          "AF_INET6"
          "AF_UNIX"
        ];
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        SystemCallArchitectures = "native";
        # V8's JIT needs writable and executable memory: MemoryDenyWriteExecute stays off.
      };
    };

    networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall [
      (portOf cfg.listenClient)
      (portOf cfg.listenPeer)
    ];
  };
}
