import pytest

from bot.rules.dt302_dev_dependencies_in_final_image import DevDependenciesInFinalImage as R
from tests.rules.harness import fixed_text, run
from tests.rules.rewrite_checks import assert_clean_rewrite


def test_node_env_assignment_on_the_command_counts():
    assert not run(R, "FROM node:20-slim\nRUN NODE_ENV=production npm ci\n")


def test_test_step_after_install_needs_dev_dependencies():
    assert not run(R, "FROM node:20-slim\nCOPY . .\nRUN npm ci\nRUN npm test\n")


def test_fix_keeps_other_flags_and_adds_no_hadolint_finding():
    after = assert_clean_rewrite(R, "FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --ignore-scripts\nCOPY . .\n")
    assert "RUN npm ci --omit=dev --ignore-scripts\n" in after


def test_gemfile_without_dev_groups_is_not_reported():
    code = "FROM ruby:3.3-slim\nENV RAILS_ENV=production\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\nCMD [\"puma\"]\n"
    assert not run(R, code, {"Gemfile": "source 'https://rubygems.org'\ngem 'rack'\n", "Gemfile.lock": ""})
    assert run(R, code, {"Gemfile": "gem 'rack'\ngroup :development, :test do\n  gem 'rspec'\nend\n", "Gemfile.lock": ""})


def test_yarn_berry_gets_no_flag_fix():
    found = run(R, "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN yarn install\n", {".yarnrc.yml": "", "package.json": "{}"})
    assert found and found[0].fix is None


def test_yarn_version_is_not_an_install():
    assert not run(R, "FROM node:20-slim\nRUN yarn --version\n")


def test_dev_requirements_reported_without_fix():
    found = run(R, "FROM python:3.12-slim\nRUN pip install -r requirements/test.txt\n")
    assert found and found[0].fix is None


def test_dev_server_in_a_single_quoted_command_is_still_a_dev_server():
    # precision sample (corpus 0610): `CMD ['yarn', 'serve']` is not JSON, but it runs the dev server
    assert not run(R, "FROM node:20\nWORKDIR /app\nCOPY . /app\nRUN yarn install\nCMD ['yarn', 'serve']\n")


def test_ruby_app_image_without_a_command_is_a_compose_development_image():
    # precision sample (corpus 0420): no CMD, compose runs `rails s`; BUNDLE_WITHOUT would break it
    code = "FROM ruby:2.6.5\nWORKDIR /myapp\nCOPY Gemfile* ./\nRUN bundle install\nCOPY . ./\n"
    assert not run(R, code)
    assert run(R, code + 'ENV RAILS_ENV=production\nCMD ["bundle", "exec", "puma"]\n')


def test_command_that_installs_or_compiles_at_start_needs_dev_dependencies():
    # precision sample (seed 2026, corpus 0516): `CMD npm install typescript && npm run start`
    code = "FROM node:20\nCOPY package.json .\nRUN npm install\nCOPY . .\nCMD npm install typescript && npm run start\n"
    assert not run(R, code)
    assert not run(R, 'FROM node:20\nCOPY . .\nRUN npm install\nCMD ["sh", "-c", "tsc && node dist/index.js"]\n')


@pytest.mark.parametrize("command", ['ENTRYPOINT ["grunt"]\nCMD ["default"]', 'CMD ["npx", "gulp", "watch"]',
                                     'CMD ./node_modules/.bin/jest', 'CMD ["npm", "test"]', 'CMD ["nest", "start"]'])
def test_a_command_that_runs_a_task_build_or_test_tool_needs_dev_dependencies(command):
    # precision sample (seed 5150, corpus 0371): `ENTRYPOINT ["grunt"]` loads grunt plugins, which
    # package.json lists as devDependencies; --production broke the container's command
    code = f"FROM node:8\nWORKDIR /app\nCOPY package.json .\nRUN npm install\nCOPY . .\n{command}\n"
    assert not run(R, code)


@pytest.mark.parametrize("command", ['CMD ["npm", "start"]', 'CMD ["next", "start"]', 'CMD ["node", "test.js"]'])
def test_a_production_command_keeps_the_finding(command):
    assert run(R, f"FROM node:20\nWORKDIR /app\nCOPY package.json .\nRUN npm install\nCOPY . .\n{command}\n")


def test_bundler_without_a_production_environment_is_a_development_app():
    # precision sample (seed 1999, corpus 0207): `CMD ["rails", "server"]` with no RAILS_ENV runs in
    # development, which requires the development gems; BUNDLE_WITHOUT broke the server at start
    code = ("FROM ruby:3.2.1-alpine\nWORKDIR /app\nCOPY Gemfile* /app/\nRUN bundle install\nCOPY . .\n"
            "CMD [\"rails\", \"server\", \"-b\", \"0.0.0.0\"]\n")
    assert not run(R, code)
    for production in ("ENV RAILS_ENV=production\n", "ENV RACK_ENV production\n"):
        assert run(R, code.replace("WORKDIR", production + "WORKDIR")), production
    assert run(R, code.replace('"0.0.0.0"]', '"0.0.0.0", "-e", "production"]'))


def test_the_bundler_env_goes_above_an_indented_run_with_its_indentation():
    code = "FROM ruby:3.3-slim\n  ENV RAILS_ENV=production\n  COPY Gemfile* ./\n  RUN bundle install\n  CMD [\"puma\"]\n"
    (f,) = run(R, code)
    assert "  ENV BUNDLE_WITHOUT=development:test\n  RUN bundle install" in fixed_text(R, code)


def test_a_rails_asset_build_after_the_npm_install_needs_its_dev_dependencies():
    # precision sample (seed 65537, corpus 0682): `npm install` then `bundle exec rails assets:precompile`,
    # which runs the JavaScript bundler; --production would drop the bundler it needs
    code = ("FROM ruby:3.4-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm install\nCOPY . .\n"
            "RUN RAILS_ENV=production SECRET_KEY_BASE=x bundle exec rails assets:precompile\n"
            "CMD [\"bundle\", \"exec\", \"puma\"]\n")
    assert not [f for f in run(R, code) if "devDependencies" in f.message]
    assert [f for f in run(R, code.replace("assets:precompile", "db:migrate")) if "devDependencies" in f.message]


@pytest.mark.parametrize("command", ["", 'CMD ["npm", "run", "start"]\n'])
def test_a_node_image_that_gets_only_its_manifest_is_a_compose_development_image(command):
    # precision sample (seed 698298, corpus 0791 and 0480): package.json and a wait-for-db
    # script are copied, the code never is: compose mounts it, and what it runs there (test
    # runners, nodemon, migrations) are devDependencies
    code = ("FROM node:16-alpine\nWORKDIR /app\nCOPY ./package.json ./\nCOPY tools/wait-for-db.sh /\n"
            f"RUN npm install\n{command}")
    assert not run(R, code)
    assert run(R, code.replace("RUN npm install\n", "RUN npm install\nCOPY . .\n"))
    assert run(R, code.replace("RUN npm install\n", "RUN git clone https://example.org/app.git . && npm install\n"))


@pytest.mark.parametrize("build", [
    "RUN touch /node/node_modules/x && VE=/ve/ NODE_MODULES=/node/node_modules make\n",
    "RUN NODE_PATH=/node/node_modules:/usr/lib/node_modules node build.js\n",
    "RUN make NODE_MODULES=/node/node_modules all\n",
    "WORKDIR /node\nRUN make\n",
    "RUN make -C /node dist\n",
    "RUN cd /node && make\n",
])
def test_a_later_build_given_the_install_node_modules_needs_its_dev_dependencies(build):
    # precision sample (seed 783712, corpus 0411): `cd /node && npm install`, then
    # `NODE_MODULES=/node/node_modules make`, whose lint and build tools are devDependencies
    code = ("FROM python:3.12\nCOPY package.json /node/\nRUN cd /node && npm install\nWORKDIR /app\nCOPY . /app/\n"
            f"{build}CMD [\"run\"]\n")
    assert not run(R, code)


@pytest.mark.parametrize("build", [
    "RUN make\n",  # /app holds no package.json
    "RUN touch /node/node_modules/sentinel && ln -s /node/node_modules /app/node_modules\n",
    "RUN NODE_PATH=/usr/lib/node_modules make\n",  # the global modules, not the install's
    "RUN make -C /opt/lib\n",
])
def test_a_later_make_that_does_not_read_the_install_keeps_the_finding(build):
    code = ("FROM python:3.12\nCOPY package.json /node/\nRUN cd /node && npm install\nWORKDIR /app\nCOPY . /app/\n"
            f"{build}CMD [\"run\"]\n")
    assert run(R, code)
