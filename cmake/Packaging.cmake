# Installation layout and the Debian packages (CPack DEB, one package per install component):
#  - poolwarden_<version>_amd64.deb: the daemon, its unit, default daemon file, examples, schemas;
#  - poolwarden-sim_<version>_amd64.deb: the local Azure simulator. It issues tokens for any
#    client, so it is not part of the production package.
include(GNUInstallDirs)

install(TARGETS poolwarden RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT poolwarden)
install(FILES systemd/poolwarden.service DESTINATION /lib/systemd/system COMPONENT poolwarden)
install(FILES config/poolwarden.yaml DESTINATION /etc/poolwarden COMPONENT poolwarden)
install(DIRECTORY DESTINATION /etc/poolwarden/pools.d COMPONENT poolwarden)
install(DIRECTORY config/examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/poolwarden/examples
        COMPONENT poolwarden PATTERN "client-secret" EXCLUDE PATTERN "secrets" EXCLUDE)
install(FILES config/poolwarden.schema.json config/pool-file.schema.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/poolwarden COMPONENT poolwarden OPTIONAL)
install(DIRECTORY deploy/ DESTINATION ${CMAKE_INSTALL_DATADIR}/poolwarden/deploy
        COMPONENT poolwarden OPTIONAL)
if(TARGET poolwarden-sim)
    install(TARGETS poolwarden-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT sim)
endif()

# Debian wants a gzipped changelog (reproducible: no name or time stamp in the gzip header) and
# a copyright file in each package's doc directory.
execute_process(COMMAND gzip -n -9 -c ${PROJECT_SOURCE_DIR}/packaging/changelog
                OUTPUT_FILE ${PROJECT_BINARY_DIR}/changelog.gz)
foreach(pair "poolwarden;poolwarden" "sim;poolwarden-sim")
    list(GET pair 0 component)
    list(GET pair 1 package)
    install(FILES packaging/copyright ${PROJECT_BINARY_DIR}/changelog.gz
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${component})
endforeach()
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/poolwarden
        COMPONENT poolwarden)

set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL poolwarden sim)
set(CPACK_PACKAGE_NAME poolwarden)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "poolwarden maintainers <maintainers@poolwarden.example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/poolwarden")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_POOLWARDEN_PACKAGE_NAME poolwarden)
set(CPACK_DEBIAN_POOLWARDEN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_POOLWARDEN_DESCRIPTION
    "reconciliation daemon for Azure Batch pools and Compute Gallery replicas
poolwarden keeps Azure Batch pools built from Azure Compute Gallery images in line with
declarative YAML pool files: it raises image replicas (one per 300 VMs) and waits for
replication before growing a pool, and sets resizeTimeout from the pool's size. It runs as
a sandboxed systemd service. The local Azure simulator is in package poolwarden-sim.")
set(CPACK_DEBIAN_POOLWARDEN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/postinst
    ${PROJECT_SOURCE_DIR}/packaging/postrm)

set(CPACK_DEBIAN_SIM_PACKAGE_NAME poolwarden-sim)
set(CPACK_DEBIAN_SIM_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_SIM_DESCRIPTION
    "local Azure simulator for trying poolwarden pool files
poolwarden-sim serves Entra ID, IMDS, ARM (Batch accounts, Compute Gallery) and the Batch
data plane on one loopback port, for trying poolwarden pool files, tests and benchmarks
without an Azure subscription. It issues tokens to any client: not for production hosts.")
# Up to 0.1.0 the simulator was shipped in package poolwarden.
set(CPACK_DEBIAN_SIM_PACKAGE_BREAKS "poolwarden (<< 0.2.0)")
set(CPACK_DEBIAN_SIM_PACKAGE_REPLACES "poolwarden (<< 0.2.0)")
include(CPack)
