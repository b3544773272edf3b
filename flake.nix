{
  description = "raftkv: a Raft-replicated, linearizable key-value store speaking the etcd v3 API";

  # One input. `nix flake update` moves the pin in flake.lock.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      packageJson = lib.importJSON ./package.json;

      # What the build reads: the sources, the protos, the npm and TypeScript configuration, and
      # what checks.tests tests (the tests, the manifests, the Nix files). Not the docs or the
      # README: editing those rebuilds nothing.
      source = lib.fileset.toSource {
        root = ./.;
        fileset = lib.fileset.unions [
          ./package.json
          ./package-lock.json
          ./.npmrc
          ./tsconfig.json
          ./tsconfig.test.json
          ./vitest.config.ts
          ./src
          ./bench
          ./proto
          ./test
          ./k8s
          ./nix
          ./flake.nix
          ./flake.lock
        ];
      };

      mkRaftkv =
        pkgs:
        let
          inherit (pkgs) stdenv;
          # Node.js 24 is the Active LTS line and what nixpkgs' `nodejs` points to since the 22 → 24
          # switch (nixpkgs#462407); named explicitly so a later default bump is a deliberate edit.
          nodejs = pkgs.nodejs_24;
          # classic-level (LevelDB) ships N-API prebuilds; node-gyp-build picks
          # prebuilds/<platform>-<arch>. Only this platform's is kept in the output.
          prebuildDir =
            if stdenv.hostPlatform.isDarwin then
              "darwin-x64+arm64"
            else if stdenv.hostPlatform.isAarch64 then
              "linux-arm64"
            else
              "linux-x64";
        in
        pkgs.buildNpmPackage {
          pname = "raftkv";
          inherit (packageJson) version;
          src = source;
          inherit nodejs;

          # Every package comes from its `resolved` URL, checked against its `integrity`, both
          # from package-lock.json: no npmDepsHash to keep in step (test/meta/lockfile.test.ts).
          npmDeps = pkgs.importNpmLock { npmRoot = ./.; };
          npmConfigHook = pkgs.importNpmLock.npmConfigHook;

          # `npm run build` (tsc) is the default npmBuildScript. classic-level loads its addon at
          # run time from prebuilds/<platform>-<arch> (node-gyp-build), so it works whether or not
          # the hook's `npm rebuild` runs install scripts, and compiles nothing. No
          # autoPatchelfHook or npmFlags are needed: on Linux the addon links only libc, libm,
          # libpthread, libstdc++ and libgcc_s, which the Nix node process has already loaded.
          # The install check below proves it on every system.

          # As `npm start`: two glibc malloc arenas (less RSS, same CPU) and V8's young generation
          # capped at Node 20's and 22's size; Node 24 doubles it, which cost 80-100 MiB of RSS per
          # member after the standard loads, at the same throughput (docs/performance.md). An
          # operator's own MALLOC_ARENA_MAX or NODE_OPTIONS replaces ours.
          makeWrapperArgs = [
            "--set-default"
            "MALLOC_ARENA_MAX"
            "2"
            "--set-default"
            "NODE_OPTIONS"
            "--max-semi-space-size=16"
          ];

          postInstall = ''
            prebuilds=$out/lib/node_modules/raftkv/node_modules/classic-level/prebuilds
            if [ -d "$prebuilds" ]; then
              find "$prebuilds" -mindepth 1 -maxdepth 1 ! -name '${prebuildDir}' -exec rm -rf {} +
              rm -f "$prebuilds"/*/*.musl.node
            fi
          '';

          # The installed command runs, and the LevelDB addon loads and works.
          doInstallCheck = true;
          installCheckPhase = ''
            runHook preInstallCheck
            test "$($out/bin/raftkv --version)" = "${packageJson.version}"
            ${lib.getExe nodejs} --input-type=module -e "
              import { createRequire } from 'node:module';
              const require = createRequire('$out/lib/node_modules/raftkv/package.json');
              const { ClassicLevel } = require('classic-level');
              const db = new ClassicLevel('$TMPDIR/install-check-db');
              await db.put('k', 'v');
              if ((await db.get('k')) !== 'v') throw new Error('LevelDB round trip failed');
              await db.close();
            "
            runHook postInstallCheck
          '';

          passthru = { inherit nodejs; };

          meta = {
            description = "A Raft-replicated, linearizable key-value store speaking the etcd v3 gRPC API";
            license = lib.licenses.asl20;
            mainProgram = "raftkv";
            platforms = systems;
          };
        };

      mkImage =
        pkgs: raftkv:
        let
          uid = "10001";
          # A passwd and group naming the non-root user the server runs as.
          etc = pkgs.runCommand "raftkv-image-etc" { } ''
            mkdir -p $out/etc
            printf 'root:x:0:0:root:/var/empty:/sbin/nologin\nraftkv:x:${uid}:${uid}:raftkv:/data:/sbin/nologin\n' > $out/etc/passwd
            printf 'root:x:0:\nraftkv:x:${uid}:\n' > $out/etc/group
            printf 'hosts: files dns\n' > $out/etc/nsswitch.conf
          '';
        in
        pkgs.dockerTools.buildLayeredImage {
          name = "raftkv";
          tag = raftkv.version;
          contents = [
            raftkv
            etc
          ];
          # /data (the volume) belongs to the server's user; /tmp is writable for everyone.
          fakeRootCommands = ''
            mkdir -p data tmp
            chown ${uid}:${uid} data
            chmod 1777 tmp
          '';
          config = {
            Entrypoint = [ (lib.getExe raftkv) ];
            User = "${uid}:${uid}";
            WorkingDir = "/data";
            Volumes."/data" = { };
            ExposedPorts = {
              "2379/tcp" = { }; # clients (etcd v3 gRPC)
              "2380/tcp" = { }; # peers (Raft)
              "2381/tcp" = { }; # /metrics, /healthz, /readyz, /livez
            };
            Env = [
              "PATH=/bin" # kubectl exec raftkv-0 -- raftkv members ...
              "RAFTKV_DATA_DIR=/data/raftkv"
              "RAFTKV_LISTEN_CLIENT=0.0.0.0:2379"
              "RAFTKV_LISTEN_PEER=0.0.0.0:2380"
              "RAFTKV_LISTEN_METRICS=0.0.0.0:2381"
              "RAFTKV_LOG_FORMAT=json"
              # Two glibc malloc arenas instead of one per thread: ~23 MiB less RSS under load,
              # no measurable CPU cost (docs/performance.md).
              "MALLOC_ARENA_MAX=2"
            ];
            Labels = {
              "org.opencontainers.image.title" = "raftkv";
              "org.opencontainers.image.description" = raftkv.meta.description;
              "org.opencontainers.image.version" = raftkv.version;
              "org.opencontainers.image.licenses" = "Apache-2.0";
            };
          };
        };

      # A one-node cluster: start it, write and read a key with the raftkv client, stop it.
      mkSmokeCheck =
        pkgs: raftkv:
        pkgs.runCommand "raftkv-smoke" { nativeBuildInputs = [ raftkv ]; } ''
          export HOME=$TMPDIR
          raftkv --name smoke --data-dir $TMPDIR/data --log-format json \
            --listen-client 127.0.0.1:23790 --listen-peer 127.0.0.1:23800 \
            --listen-metrics 127.0.0.1:23810 > $TMPDIR/server.log 2>&1 &
          server=$!
          ok=
          for _ in $(seq 1 150); do
            if raftkv put smoke works --endpoints 127.0.0.1:23790 >/dev/null 2>&1; then ok=1; break; fi
            sleep 0.2
          done
          [ -n "$ok" ] || { cat $TMPDIR/server.log; exit 1; }
          test "$(raftkv get smoke --endpoints 127.0.0.1:23790)" = "$(printf 'smoke\nworks')"
          kill -TERM $server
          wait $server
          touch $out
        '';
    in
    {
      packages = forAllSystems (
        pkgs:
        let
          raftkv = mkRaftkv pkgs;
        in
        {
          inherit raftkv;
          default = raftkv;
        }
        // lib.optionalAttrs pkgs.stdenv.hostPlatform.isLinux {
          raftkv-image = mkImage pkgs raftkv;
        }
      );

      apps = forAllSystems (
        pkgs:
        let
          raftkv = self.packages.${pkgs.stdenv.hostPlatform.system}.raftkv;
          app = {
            type = "app";
            program = lib.getExe raftkv;
            meta.description = raftkv.meta.description;
          };
        in
        {
          raftkv = app;
          default = app;
        }
      );

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            (mkRaftkv pkgs).nodejs # node and npm
            pkgs.etcd # etcdctl, and etcd for comparisons (raftkv bench)
            pkgs.kubectl # kubectl kustomize k8s
          ];
          shellHook = ''
            echo "raftkv dev shell: node $(node --version); npm ci && npm test"
          '';
        };
      });

      checks = forAllSystems (
        pkgs:
        let
          raftkv = self.packages.${pkgs.stdenv.hostPlatform.system}.raftkv;
        in
        {
          # The package builds, and its install check loads the LevelDB addon.
          inherit raftkv;
          smoke = mkSmokeCheck pkgs raftkv;
          # The test suite, run against the built tree (before dev dependencies are pruned).
          tests = raftkv.overrideAttrs (old: {
            name = "raftkv-tests-${old.version}";
            doCheck = true;
            nativeCheckInputs = [
              pkgs.etcd
              pkgs.kubectl
            ];
            checkPhase = ''
              runHook preCheck
              HOME=$TMPDIR node_modules/.bin/vitest run
              runHook postCheck
            '';
          });
        }
        // lib.optionalAttrs pkgs.stdenv.hostPlatform.isLinux {
          raftkv-image = self.packages.${pkgs.stdenv.hostPlatform.system}.raftkv-image;
        }
      );

      overlays.default = final: _prev: { raftkv = mkRaftkv final; };

      nixosModules.raftkv = import ./nix/module.nix self;
      nixosModules.default = self.nixosModules.raftkv;
    };
}
