/**
 * @module test/config/select-config
 * Which configuration file the CLI uses and which port (config/load.ts `selectConfig`):
 * `--config FILE`, `--config=FILE`, GATEWAY_CONFIG, their precedence, and the PORT override.
 */
import { describe, expect, it } from 'vitest';

import { selectConfig } from '../../config/load.js';
import { configFailure } from './fixtures.js';

describe('selectConfig', () => {
  it('no argument and no GATEWAY_CONFIG selects nothing: no demo unless asked for', () => {
    expect(selectConfig([], {})).toEqual({});
    expect(selectConfig([], { GATEWAY_CONFIG: '' })).toEqual({});
  });

  it('--demo asks for the demo, and excludes --config and GATEWAY_CONFIG', () => {
    expect(selectConfig(['--demo'], {})).toEqual({ demo: true });
    expect(configFailure(() => selectConfig(['--demo', '--config', '/a.yaml'], {})).detail).toBe(
      '--demo runs the bundled demo and cannot be combined with a configuration (--config is set)',
    );
    expect(configFailure(() => selectConfig(['--demo'], { GATEWAY_CONFIG: '/srv/gw.yaml' })).detail).toBe(
      '--demo runs the bundled demo and cannot be combined with a configuration (GATEWAY_CONFIG is set)',
    );
  });

  it('--host ADDRESS and --host=ADDRESS are kept apart from GATEWAY_HOST', () => {
    expect(selectConfig(['--demo', '--host', '0.0.0.0'], { GATEWAY_HOST: '10.0.0.1' })).toEqual({
      demo: true,
      hostArgument: '0.0.0.0',
      hostOverride: '10.0.0.1',
    });
    expect(selectConfig(['--host=::1', '--config', '/a.yaml'], {})).toEqual({
      file: '/a.yaml',
      hostArgument: '::1',
    });
    expect(configFailure(() => selectConfig(['--host'], {})).detail).toBe('--host needs a value');
  });

  it('--config FILE', () => {
    expect(selectConfig(['--config', '/etc/gateway.yaml'], {})).toEqual({ file: '/etc/gateway.yaml' });
  });

  it('--config=FILE', () => {
    expect(selectConfig(['--config=/etc/gateway.yaml'], {})).toEqual({ file: '/etc/gateway.yaml' });
  });

  it('GATEWAY_CONFIG', () => {
    expect(selectConfig([], { GATEWAY_CONFIG: '/srv/gw.yaml' })).toEqual({ file: '/srv/gw.yaml' });
  });

  it('--config wins over GATEWAY_CONFIG, in both spellings', () => {
    const env = { GATEWAY_CONFIG: '/srv/from-env.yaml' };
    expect(selectConfig(['--config', '/srv/from-arg.yaml'], env).file).toBe('/srv/from-arg.yaml');
    expect(selectConfig(['--config=/srv/from-arg.yaml'], env).file).toBe('/srv/from-arg.yaml');
  });

  it('the last --config wins', () => {
    expect(selectConfig(['--config', '/a.yaml', '--config=/b.yaml'], {}).file).toBe('/b.yaml');
  });

  it('--config without a file is an error', () => {
    expect(configFailure(() => selectConfig(['--config'], {})).detail).toBe('--config needs a file path');
    expect(configFailure(() => selectConfig(['--config', '--verbose'], {})).detail).toBe(
      '--config needs a file path',
    );
  });

  it.each([['--verbose'], ['gateway.yaml'], ['-c']])('an unknown argument %j is named', (arg) => {
    expect(configFailure(() => selectConfig([arg], {})).detail).toBe(
      `unknown argument "${arg}" (expected --config FILE, --demo or --host ADDRESS)`,
    );
  });

  it('PORT overrides the port, together with a file', () => {
    expect(selectConfig(['--config', '/a.yaml'], { PORT: '9090' })).toEqual({
      file: '/a.yaml',
      portOverride: 9090,
    });
    expect(selectConfig([], { PORT: '0' }).portOverride).toBe(0);
    expect(selectConfig([], { PORT: '65535' }).portOverride).toBe(65535);
  });

  it('an empty PORT is ignored', () => {
    expect(selectConfig([], { PORT: '' })).toEqual({});
  });

  it.each(['abc', '80.5', '-1', '65536', '8080abc'])(
    'a bad PORT %j names PORT and the expected range',
    (port) => {
      expect(configFailure(() => selectConfig([], { PORT: port })).detail).toBe(
        'PORT: expected an integer 0-65535',
      );
    },
  );

  // Regression: Number(' ') is 0, so a blank PORT silently means "any free port".
  it.each(['  ', '\t'])('a blank PORT %j is rejected, not read as port 0', (port) => {
    expect(configFailure(() => selectConfig([], { PORT: port })).detail).toBe(
      'PORT: expected an integer 0-65535',
    );
  });

  // Regression: `--config=` selects the file '' and start-up then fails with
  // "invalid configuration: : cannot be read (ENOENT)", which names nothing.
  it('--config= with no file is an error naming --config', () => {
    expect(configFailure(() => selectConfig(['--config='], {})).detail).toBe('--config needs a file path');
  });
});
